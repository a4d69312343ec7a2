"""Context every page gets: the trust's name, the user's roles, what the header may offer them
(asked of academies.permissions, never of role names), the demo-data marker."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from academies import permissions
from kpis.models import KPIValue


def _has_demo_data() -> bool:
    return KPIValue.objects.filter(is_demo=True).exists()


def trustplan(request) -> dict:
    user = request.user
    # Lazy: evaluated only where a template shows it, so pages that don't pay nothing.
    return {
        "trust_name": settings.TRUST_NAME,
        "user_roles": SimpleLazyObject(
            lambda: permissions.role_names(user)
        ),  # shown, never checked
        "may_enter_returns": SimpleLazyObject(lambda: permissions.may_enter_returns(user)),
        "may_import": SimpleLazyObject(lambda: permissions.may_import(user)),
        "may_open_admin": SimpleLazyObject(lambda: permissions.may_open_admin(user)),
        "has_demo_data": SimpleLazyObject(_has_demo_data),
    }
