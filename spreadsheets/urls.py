from django.urls import path

from spreadsheets import views

app_name = "imports"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("confirm/", views.confirm, name="confirm"),
    path("cancel/", views.cancel, name="cancel"),
    path("template.xlsx", views.template, name="template"),
    path("example.xlsx", views.example, name="example"),
]

# Under /kpis/ with the board's matrix (namespace kpis:, put together by the root URLconf).
export_patterns = [
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("export.csv", views.export_csv, name="export_csv"),
]
