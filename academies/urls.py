from django.urls import path

from academies import views

app_name = "academies"

urlpatterns = [
    path("<slug:slug>/", views.scorecard, name="scorecard"),
]
