from django.apps import AppConfig


class PapersConfig(AppConfig):
    """Board papers: the PDF board pack, governance papers as PDF, and published packs."""

    name = "papers"
    default_auto_field = "django.db.models.BigAutoField"
