from django.contrib import admin

from academies.models import Academy, Owner, RoleAssignment
from academies.permissions import may_import
from core.admin import ImportExportAdmin, SafeModelResource


class TrustModelAdmin(ImportExportAdmin):
    """The base of every app's ModelAdmin: importing is for administrators only.

    Central team are staff (they edit the plan and KPI framework here) but must not bulk-import:
    DESIGN.md gives imports to administrators."""

    def has_import_permission(self, request) -> bool:
        return may_import(request.user) and super(ImportExportAdmin, self).has_import_permission(
            request
        )


class AcademyResource(SafeModelResource):
    class Meta:
        model = Academy
        import_id_fields = ["slug"]
        fields = [
            "slug",
            "name",
            "short_name",
            "urn",
            "phase",
            "pupils_on_roll",
            "establishment_type",
            "open_date",
            "joined_trust",
            "is_active",
            "position",
        ]


class OwnerResource(SafeModelResource):
    class Meta:
        model = Owner
        import_id_fields = ["code"]
        fields = ["code", "name", "kind"]


class RoleAssignmentResource(SafeModelResource):
    class Meta:
        model = RoleAssignment


@admin.register(Academy)
class AcademyAdmin(TrustModelAdmin):
    resource_classes = [AcademyResource]
    list_display = ["name", "short_name", "urn", "phase", "pupils_on_roll", "is_active", "position"]
    list_filter = ["phase", "is_active"]
    search_fields = ["name", "short_name", "urn"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Owner)
class OwnerAdmin(TrustModelAdmin):
    resource_classes = [OwnerResource]
    list_display = ["code", "name", "kind", "user"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "user__username"]
    autocomplete_fields = ["user"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(TrustModelAdmin):
    resource_classes = [RoleAssignmentResource]
    list_display = ["user", "role", "academy"]
    list_filter = ["role", "academy"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "academy__name"]
    autocomplete_fields = ["user", "academy"]
