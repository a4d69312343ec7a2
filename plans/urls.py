from django.urls import path

from plans import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_page, name="plan"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
    path("actions/<int:pk>/updates/", views.action_update, name="action_update"),
    path("actions/<int:pk>/edit/", views.action_edit, name="action_edit"),
    path("objectives/<int:objective_id>/actions/new/", views.action_create, name="action_create"),
    path("objectives/<int:objective_id>/aims/new/", views.aim_create, name="aim_create"),
    path("objectives/<int:pk>/edit/", views.objective_edit, name="objective_edit"),
    path("aims/<int:pk>/edit/", views.aim_edit, name="aim_edit"),
    path("plans/<int:plan_id>/objectives/new/", views.objective_create, name="objective_create"),
    path("plans/<int:plan_id>/status/", views.plan_status, name="plan_status"),
    path("<str:kind>/<int:pk>/delete/", views.delete, name="delete"),
    path("<str:kind>/<int:pk>/move/", views.move, name="move"),
]
