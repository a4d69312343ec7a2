from django.contrib.auth import views as auth_views
from django.urls import path

from people import views

app_name = "people"

# /people/…: the People pages (central team and administrators), each person's reminders and
# the invitation's link.
urlpatterns = [
    path("", views.people_list, name="list"),
    path("new/", views.person_new, name="new"),
    path("<int:pk>/", views.person, name="person"),
    path("<int:pk>/resend/", views.person_resend, name="resend"),
    path("<int:pk>/deactivate/", views.person_deactivate, name="deactivate"),
    path("<int:pk>/reactivate/", views.person_reactivate, name="reactivate"),
    path("reminders/", views.preferences, name="preferences"),
    path("invitation/<uidb64>/<token>/", views.AcceptInvitationView.as_view(), name="accept"),
]

# /accounts/…: Django's password reset (its own URL names, as its views expect).
password_reset_patterns = [
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
