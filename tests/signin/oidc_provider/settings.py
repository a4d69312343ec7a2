"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit with OIDC on,
in its own process (tests/signin/oidc_provider/serve.py), nothing of trustplan imported.

Its configuration is a JSON file named by OIDC_PROVIDER_CONFIG (written by the test): the
signing key, the SQLite file, and the file whose word switches the provider's behaviour
("wrong-key": its JWKS publishes another key under the signing key's kid).
"""

import json
import os
from pathlib import Path

CONFIG = json.loads(Path(os.environ["OIDC_PROVIDER_CONFIG"]).read_text())

SECRET_KEY = "provider-only-test-key-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.signin.oidc_provider.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": CONFIG["database"]}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
LOGIN_URL = "/accounts/login/"
# trustplan runs on localhost, the provider on 127.0.0.1: cookies never mix, but name them apart.
SESSION_COOKIE_NAME = "provider_sessionid"
CSRF_COOKIE_NAME = "provider_csrftoken"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": Path(CONFIG["signing_key"]).read_text(),
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http"],
    "SCOPES": {"openid": "OpenID Connect", "email": "Email address", "profile": "Name"},
    "OAUTH2_VALIDATOR_CLASS": "tests.signin.oidc_provider.urls.Validator",
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
