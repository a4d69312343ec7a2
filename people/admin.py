"""The people app's records in the admin, read-only: what was sent and what failed, the
invitations, the history of people's roles and academies, password-reset requests."""

from django.contrib import admin

from people.models import (
    Invitation,
    PasswordResetRequest,
    PersonChange,
    Reminder,
    ReminderPreference,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["day", "user", "kind", "text", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "day"]
    search_fields = ["user__username", "user__email", "subject", "text"]
    date_hierarchy = "day"


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["user", "invited_by", "sent_at", "times_sent", "accepted_at"]
    search_fields = ["user__username", "user__email"]


@admin.register(PersonChange)
class PersonChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "user", "changed_by", "lines"]
    search_fields = ["user__username", "user__email"]


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "returns", "approvals", "sent_back", "actions", "weekly_digest"]


@admin.register(PasswordResetRequest)
class PasswordResetRequestAdmin(ReadOnlyAdmin):
    """Deleting an address's rows lifts its throttle early."""

    list_display = ["requested_at", "email", "ip_address"]
    search_fields = ["email", "ip_address"]
