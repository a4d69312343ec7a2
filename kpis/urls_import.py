from django.urls import path

from kpis import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.upload, name="upload"),
    path("confirm/", import_views.confirm, name="confirm"),
    path("cancel/", import_views.cancel, name="cancel"),
    path("template.xlsx", import_views.template, name="template"),
    path("example.xlsx", import_views.example, name="example"),
]
