from django.urls import path

from signin import views

app_name = "signin"

urlpatterns = [
    path("oidc/start/", views.oidc_start, name="oidc_start"),
    path("oidc/callback/", views.oidc_callback, name="oidc_callback"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/verify/", views.verify, name="verify"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("two-factor/recovery-codes/new/", views.new_recovery_codes, name="new_recovery_codes"),
    path("two-factor/remove/", views.remove_authenticator, name="remove_authenticator"),
]
