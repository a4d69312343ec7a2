from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from trustplan import views
from trustplan.forms import LoginForm, ThrottledAdminPasswordChangeForm

admin.site.site_header = "trustplan administration"
admin.site.site_title = "trustplan"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("kpis/", include("kpis.urls")),
    path("academies/", include("academies.urls")),
    path("entry/", include("kpis.urls_entry")),
    path("plan/", include("plans.urls")),
    path("import/", include("kpis.urls_import")),
    path("my/", views.my_work, name="my"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
            extra_context={"demo_accounts": views.demo_accounts},
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # The admin's own password change, throttled too: the URL of admin:password_change,
    # matched here first.
    path(
        "admin/password_change/",
        admin.site.admin_view(
            views.PasswordChangeView.as_view(
                form_class=ThrottledAdminPasswordChangeForm,
                success_url=reverse_lazy("admin:password_change_done"),
            )
        ),
    ),
    path("admin/", admin.site.urls),
]
