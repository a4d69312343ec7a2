"""Base classes shared by every app's ModelAdmin."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from import_export import resources
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from simple_history.admin import SimpleHistoryAdmin

from core.import_formats import SavedValuesXLSX, StagedImportGone
from core.models import PasswordChangeFailure
from core.text import safe_text
from core.workbook import WorkbookRefused


class ImportExportAdmin(ImportExportMixin, SimpleHistoryAdmin):
    """django-import-export on every model; importing is for administrators only.

    Central team are staff (they edit the plan and KPI framework here) but must not bulk-import:
    DESIGN.md gives imports to administrators. SimpleHistoryAdmin gives the models that keep
    history (HistoricalRecords) its history pages; the others keep Django's own history page
    (the admin log), with Django's permission check: SimpleHistoryAdmin's view needs a history
    manager and raised AttributeError (a 500, even where the user should get a 403) for them.
    """

    def _keeps_history(self) -> bool:
        return hasattr(self.model._meta, "simple_history_manager_attribute")

    @property
    def object_history_template(self) -> str | None:
        if self._keeps_history():
            return SimpleHistoryAdmin.object_history_template
        return None  # Django's admin/object_history.html

    def history_view(self, request, object_id, extra_context=None):
        if self._keeps_history():
            return super().history_view(request, object_id, extra_context)
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not self._keeps_history():
            raise Http404("This kind of record keeps no past versions.")
        # Reverting saves the object: simple-history asks only for view permission, so an object
        # the admin shows read-only (an approved return's value, an archived plan's action)
        # could be changed here.
        if request.method == "POST" and not self.has_change_permission(
            request, self.get_object(request, unquote(object_id))
        ):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def has_import_permission(self, request) -> bool:
        """Superusers only here; academies.admin.TrustModelAdmin, which every app's admin uses,
        lets administrators import too (academies.permissions says who they are)."""
        return request.user.is_superuser and super().has_import_permission(request)

    def get_import_formats(self):
        """django-import-export's formats, with .xlsx read by SavedValuesXLSX (same places, so
        a confirm form's format number means the same format)."""
        return [
            SavedValuesXLSX if fmt is base_formats.XLSX else fmt
            for fmt in super().get_import_formats()
        ]

    def add_data_read_fail_error_to_form(self, form, e) -> None:
        """A file refused with a reason says the reason (django-import-export: its type only)."""
        if isinstance(e, WorkbookRefused):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def process_import(self, request, **kwargs):
        """A confirm whose staged file is gone (imported already, or expired) says so and goes
        back to the import page; django-import-export answered 500."""
        try:
            return super().process_import(request, **kwargs)
        except StagedImportGone:
            messages.error(request, "That import is no longer waiting: upload the file again.")
            opts = self.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_import")


class SafeModelResource(resources.ModelResource):
    """Every exported text cell that a spreadsheet would run as a formula gets a leading '.

    django-import-export's own escaping only strips a leading "="; "+", "-", "@", tab and NUL
    are formula triggers too.
    """

    def export_field(self, field, instance, **kwargs):
        return safe_text(super().export_field(field, instance, **kwargs))


@admin.register(PasswordChangeFailure)
class PasswordChangeFailureAdmin(admin.ModelAdmin):
    """Wrong current passwords on the password-change forms (core.throttle), for
    administrators to see; deleting a user's rows lifts their lock early. Not editable."""

    list_display = ["user", "ip_address", "attempted_at"]
    list_filter = ["attempted_at"]
    search_fields = ["user__username", "ip_address"]
    date_hierarchy = "attempted_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
