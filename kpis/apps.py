from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = "KPIs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kpis.cache import connect_signals

        connect_signals()
