"""WSGI entry point: `gunicorn trustplan.wsgi`."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustplan.settings")
application = get_wsgi_application()

# What start-up made (modules, models, the URL patterns, loaded now) lives as long as the
# worker. Frozen, it is left out of the garbage collector's full collections, which otherwise
# walk it in the middle of requests: at full scale a page that builds the board set one off
# in most requests, about 80 ms each spent walking some 170,000 objects that can never be
# garbage (in-process, `/` after a return: about 250 → 190 ms). Objects made later are
# collected as usual.
get_resolver().url_patterns  # noqa: B018 - loads the URLconf (a lazy property) before freezing
gc.collect()
gc.freeze()
