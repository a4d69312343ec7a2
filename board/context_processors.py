"""Context every page gets: the trust's name, the user's roles, the demo-data marker."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from academies import permissions
from kpis.models import KPIValue


def _has_demo_data() -> bool:
    return KPIValue.objects.filter(is_demo=True).exists()


def trustplan(request) -> dict:
    user = request.user
    return {
        "trust_name": settings.TRUST_NAME,
        # Lazy: evaluated only where a template shows it, so pages that don't pay nothing.
        "user_roles": SimpleLazyObject(lambda: permissions.role_names(user)),
        "user_is_central": SimpleLazyObject(lambda: permissions.is_central(user)),
        "user_is_administrator": SimpleLazyObject(lambda: permissions.is_administrator(user)),
        "has_demo_data": SimpleLazyObject(_has_demo_data),
    }
