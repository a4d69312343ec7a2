"""Context every page gets: the trust's name, the user's roles, the demo-data marker."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from academies import roles


def _has_demo_data() -> bool:
    from kpis.models import KPIValue

    return KPIValue.objects.filter(is_demo=True).exists()


def trustplan(request) -> dict:
    user = request.user
    return {
        "trust_name": settings.TRUST_NAME,
        # Lazy: evaluated only where a template shows it, so pages that don't pay nothing.
        "user_roles": SimpleLazyObject(lambda: roles.role_names(user)),
        "user_is_central": SimpleLazyObject(lambda: roles.is_central(user)),
        "user_is_administrator": SimpleLazyObject(lambda: roles.is_administrator(user)),
        "has_demo_data": SimpleLazyObject(_has_demo_data),
    }
