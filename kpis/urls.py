from django.urls import path

from kpis import views

app_name = "kpis"

urlpatterns = [
    path("", views.matrix, name="matrix"),
    path("<str:code>/", views.detail, name="detail"),
]
