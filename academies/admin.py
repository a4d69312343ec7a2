from django.contrib import admin
from import_export import fields, widgets

from academies.models import Academy, AcademyGroup, Owner, RoleAssignment
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
    # The group by its name ("North hub"), as a trust's own list names it; an unknown name is
    # that row's error (groups are created first, in the admin or their own import).
    group = fields.Field(
        attribute="group",
        column_name="group",
        widget=widgets.ForeignKeyWidget(AcademyGroup, field="name"),
    )

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
            "group",
            "is_active",
            "position",
        ]


class AcademyGroupResource(SafeModelResource):
    class Meta:
        model = AcademyGroup
        import_id_fields = ["slug"]
        fields = ["slug", "name", "position"]


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
    list_display = [
        "name",
        "short_name",
        "urn",
        "phase",
        "group",
        "pupils_on_roll",
        "is_active",
        "position",
    ]
    list_filter = ["phase", "group", "is_active"]
    list_select_related = ["group"]
    search_fields = ["name", "short_name", "urn"]
    prepopulated_fields = {"slug": ["name"]}


class GroupMembersInline(admin.TabularInline):
    model = Academy
    fields = ["name", "phase", "is_active"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # an academy joins a group from its own page (its "group" field)


@admin.register(AcademyGroup)
class AcademyGroupAdmin(TrustModelAdmin):
    resource_classes = [AcademyGroupResource]
    list_display = ["name", "position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [GroupMembersInline]


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
