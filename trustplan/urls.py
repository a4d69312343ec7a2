from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from board import urls as board_urls
from core import views
from core.forms import LoginForm, ThrottledAdminPasswordChangeForm
from demo.accounts import demo_accounts
from papers import governance as governance_papers
from papers import views as papers_views
from people import urls as people_urls
from plans import urls as plan_urls
from spreadsheets import urls as spreadsheet_urls

admin.site.site_header = "trustplan administration"
admin.site.site_title = "trustplan"

urlpatterns = [
    *board_urls.overview_patterns,
    path("healthz", views.healthz, name="healthz"),
    # The board's matrix and KPI pages with their exports, all named kpis:…
    path(
        "kpis/",
        include(
            (
                [
                    *spreadsheet_urls.export_patterns,
                    # The PDF board pack (papers, above board and spreadsheets).
                    path("pack.pdf", papers_views.pack_pdf, name="pack_pdf"),
                    *board_urls.kpi_patterns,
                ],
                "kpis",
            )
        ),
    ),
    path("academies/", include((board_urls.academy_patterns, "academies"))),
    path("entry/", include("kpis.urls")),
    # The plan's pages and its governance papers (the board's), all named plans:…
    path(
        "plan/",
        include(
            (
                [
                    *plan_urls.urlpatterns,
                    *board_urls.plan_patterns,
                    *governance_papers.plan_patterns,  # the paper as a PDF: papers is above board
                ],
                "plans",
            )
        ),
    ),
    path("import/", include("spreadsheets.urls")),
    # Published board packs, each exactly as its meeting saw it (papers), all named packs:…
    path("packs/", include("papers.urls_packs")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
            extra_context={"demo_accounts": demo_accounts},
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Password reset (Django's views, throttled), named as Django's own.
    path("accounts/", include(people_urls.password_reset_patterns)),
    # People: invitations, roles and academies, each person's reminders, all named people:…
    path("people/", include("people.urls")),
    # Single sign-on (OpenID Connect) and two-factor sign-in, all named signin:…
    path("accounts/", include("signin.urls")),
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
