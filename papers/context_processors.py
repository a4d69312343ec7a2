"""What the header offers about board papers (asked of academies.permissions)."""

from django.utils.functional import SimpleLazyObject

from academies import permissions


def packs(request) -> dict:
    user = request.user
    # Lazy, like board.context_processors: only the header asks, and it costs no query.
    return {"may_see_packs": SimpleLazyObject(lambda: permissions.may_see_packs(user))}
