"""The board's pages. Their URL names keep the namespaces of the paths they sit under (kpis:,
academies:, plans:), which the root URLconf puts together with the other apps' patterns."""

from django.urls import path

from board import views

overview_patterns = [
    path("", views.home, name="home"),
    path("my/", views.my_work, name="my"),
]

kpi_patterns = [
    path("", views.matrix, name="matrix"),
    path("<str:code>/", views.detail, name="detail"),
]

academy_patterns = [
    path("<slug:slug>/", views.scorecard, name="scorecard"),
]

plan_patterns = [
    path("monitoring/", views.monitoring_index, name="monitoring_index"),
    path("monitoring/<str:code>/", views.monitoring, name="monitoring"),
]
