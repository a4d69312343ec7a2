"""Published packs in the Django admin: read-only; only an administrator may delete one."""

from django.contrib import admin

from academies.permissions import is_administrator
from papers.models import PublishedPack
from papers.publishing import delete_packs


@admin.register(PublishedPack)
class PublishedPackAdmin(admin.ModelAdmin):
    """No add or change: packs are published from /packs/publish/ and never change. Deleting
    (administrators only) removes the stored files too (papers.publishing.delete_packs)."""

    list_display = ["meeting", "meeting_date", "period", "published_by", "published_at"]
    list_filter = ["period"]
    search_fields = ["meeting", "published_by__username", "published_by__last_name"]
    date_hierarchy = "meeting_date"
    list_select_related = ["period", "published_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_administrator(request.user)

    def delete_model(self, request, obj: PublishedPack) -> None:
        delete_packs([obj])

    def delete_queryset(self, request, queryset) -> None:
        delete_packs(queryset)
