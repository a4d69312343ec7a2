from django.urls import path

from kpis import views

app_name = "kpis"

urlpatterns = [
    path("", views.matrix, name="matrix"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("<str:code>/", views.detail, name="detail"),
]
