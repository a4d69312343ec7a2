"""What the header offers: the People pages to central team and administrators."""

from django.utils.functional import SimpleLazyObject

from academies import permissions


def people(request) -> dict:
    user = request.user
    return {"may_manage_people": SimpleLazyObject(lambda: permissions.may_manage_people(user))}
