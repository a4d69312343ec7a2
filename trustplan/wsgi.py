"""WSGI entry point: `gunicorn trustplan.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustplan.settings")
application = get_wsgi_application()
