from django.urls import path

from spreadsheets import gias_views, plan_views, views

app_name = "imports"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("confirm/", views.confirm, name="confirm"),
    path("cancel/", views.cancel, name="cancel"),
    path("template.xlsx", views.template, name="template"),
    path("example.xlsx", views.example, name="example"),
    # The trust's academies from the DfE's register (academies.gias).
    path("gias/", gias_views.upload, name="gias_upload"),
    path("gias/confirm/", gias_views.confirm, name="gias_confirm"),
    path("gias/cancel/", gias_views.cancel, name="gias_cancel"),
    # A development plan from Word (.docx) or a plan sheet (spreadsheets.plan_document).
    path("plan/", plan_views.upload, name="plan_upload"),
    path("plan/confirm/", plan_views.confirm, name="plan_confirm"),
    path("plan/cancel/", plan_views.cancel, name="plan_cancel"),
]

# Under /kpis/ with the board's matrix (namespace kpis:, put together by the root URLconf).
export_patterns = [
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("export.csv", views.export_csv, name="export_csv"),
]
