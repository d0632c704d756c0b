"""python -m tests.sso.oidc_provider.serve PORT: migrate, seed, serve on 127.0.0.1:PORT."""

import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django

PEOPLE = {
    # username: (e-mail, first name, last name, groups)
    "alice": ("Alice.Agent@Example.com", "Alice", "Agent", ["desk-agents", "staff"]),
    "erin": ("erin@example.com", "Erin", "Enduser", ["staff"]),
    "vic": ("vic@example.com", "Vic", "Visitor", ["visitors"]),
    "nomail": ("", "Noel", "Nomail", ["staff"]),
    "stranger": ("stranger@example.com", "Sam", "Stranger", ["staff"]),
}
PASSWORD = "provider-password"  # noqa: S105


def seed() -> None:
    from django.contrib.auth.models import Group, User
    from oauth2_provider.models import Application

    for username, (email, first, last, groups) in PEOPLE.items():
        user = User.objects.create_user(
            username, email=email, password=PASSWORD, first_name=first, last_name=last
        )
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    Application.objects.create(
        name="Service desk",
        client_id=os.environ["OIDC_TEST_CLIENT_ID"],
        client_secret=os.environ["OIDC_TEST_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=os.environ["OIDC_TEST_REDIRECT_URI"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Handler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        sys.stderr.write("provider: " + format % args + "\n")


def main() -> None:
    port = int(sys.argv[1])
    django.setup()
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0)
    seed()
    httpd = make_server(
        "127.0.0.1", port, get_wsgi_application(), server_class=Server, handler_class=Handler
    )
    httpd.serve_forever()


if __name__ == "__main__":
    main()
