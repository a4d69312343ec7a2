from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People, invitations and reminders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from people import notify, signals

        notify.connect_signals()
        signals.connect_signals()
