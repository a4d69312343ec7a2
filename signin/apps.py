from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "signin"
    verbose_name = "Sign-in (single sign-on and two-factor)"

    def ready(self) -> None:
        from signin import signals  # noqa: F401  (connects the sign-in receiver)
