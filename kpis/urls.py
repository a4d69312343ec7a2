from django.urls import path

from kpis import inspections, views

app_name = "entry"

urlpatterns = [
    path("", views.grid, name="grid"),
    path("periods/<slug:period_slug>/status/", views.period_status, name="period_status"),
    # Before the return's pattern: "inspections" is no academy's slug.
    path("inspections/<slug:academy_slug>/", inspections.inspections, name="inspections"),
    path(
        "inspections/<slug:academy_slug>/<int:inspection_id>/delete/",
        inspections.delete,
        name="inspection_delete",
    ),
    path("<slug:academy_slug>/<slug:period_slug>/", views.entry, name="form"),
    path("<slug:academy_slug>/<slug:period_slug>/approve/", views.approve, name="approve"),
    path("<slug:academy_slug>/<slug:period_slug>/send-back/", views.send_back, name="send_back"),
    path("<slug:academy_slug>/<slug:period_slug>/reopen/", views.reopen, name="reopen"),
]
