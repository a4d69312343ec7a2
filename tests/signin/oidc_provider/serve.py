"""Run the test provider: python -m tests.signin.oidc_provider.serve (OIDC_PROVIDER_CONFIG set).

Migrates its own SQLite file, creates the people and the client the config names, listens on a
free loopback port and prints it, then serves until killed."""

import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.signin.oidc_provider.settings"


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        sys.stderr.write("provider: " + (format % args) + "\n")


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    config = settings.CONFIG
    unverified, _ = Group.objects.get_or_create(name="unverified")
    for person in config["people"]:
        user = User.objects.create_user(
            person["username"], email=person["email"], password=person["password"]
        )
        if not person.get("verified", True):
            user.groups.add(unverified)
    Application.objects.create(
        name="trustplan",
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=config["redirect_uri"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), server_class=Server, handler_class=QuietHandler
    )
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
