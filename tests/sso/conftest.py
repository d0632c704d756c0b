import pytest
from django.contrib import auth

from accounts.roles import Role
from sso.models import GroupMapping, Source
from tests.factories import SupportGroupFactory
from tests.sso import servers

BACKENDS_WITH_DIRECTORY = [
    "axes.backends.AxesStandaloneBackend",
    "sso.ldap_backend.DirectoryBackend",
    "accounts.backends.PeopleBackend",
    "servicedesk.actors.SystemActorBackend",
]


@pytest.fixture(scope="session")
def slapd_uri(tmp_path_factory):
    """A real OpenLDAP server for the session."""
    process, uri = servers.slapd_start(tmp_path_factory.mktemp("slapd"))
    yield uri
    servers.process_stop(process)


@pytest.fixture
def desk_team(db):
    return SupportGroupFactory(name="Service desk")


@pytest.fixture
def directory(slapd_uri, settings, desk_team):
    """The directory loaded afresh from directory.ldif, the desk configured to use it, and the
    mappings of its groups: desk-agents -> agent + Service desk, desk-managers -> service desk
    manager, staff -> end user (visitors maps to nothing)."""
    servers.directory_load(slapd_uri)
    settings.LDAP_SERVER_URI = slapd_uri
    settings.LDAP_BIND_DN = servers.LDAP_ADMIN
    settings.LDAP_BIND_PASSWORD = servers.LDAP_ADMIN_PASSWORD
    settings.LDAP_USER_BASE = f"ou=people,{servers.LDAP_BASE}"
    settings.LDAP_GROUP_BASE = f"ou=groups,{servers.LDAP_BASE}"
    settings.LDAP_DISABLED_FILTER = "(employeeType=disabled)"
    settings.AUTHENTICATION_BACKENDS = BACKENDS_WITH_DIRECTORY
    GroupMapping.objects.create(
        source=Source.LDAP, external_group="desk-agents", role=Role.AGENT, support_group=desk_team
    )
    GroupMapping.objects.create(
        source=Source.LDAP, external_group="desk-managers", role=Role.DESK_MANAGER
    )
    GroupMapping.objects.create(source=Source.LDAP, external_group="staff", role=Role.END_USER)
    return slapd_uri


@pytest.fixture
def ldap_admin(directory):
    """A connection to the test directory as its administrator, to change it in a test."""
    import ldap

    connection = ldap.initialize(directory)
    connection.simple_bind_s(servers.LDAP_ADMIN, servers.LDAP_ADMIN_PASSWORD)
    yield connection
    connection.unbind_s()


@pytest.fixture
def sign_in(client):
    """sign_in(email, password) -> the followed response of our own sign-in form."""

    def post(email, password):
        return client.post(
            "/accounts/login/", {"username": email, "password": password}, follow=True
        )

    return post


def signed_in(client):
    return auth.get_user(client)


OIDC_PROVIDER_ID = "idp"
OIDC_CLIENT_ID = "service-desk"
OIDC_SECRET = "service-desk-client-secret"
OIDC_CALLBACK = f"http://testserver/sso/oidc/{OIDC_PROVIDER_ID}/login/callback/"


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """A real OpenID Connect provider process for the session (django-oauth-toolkit)."""
    process, url = servers.oidc_provider_start(
        tmp_path_factory.mktemp("oidc"),
        client_id=OIDC_CLIENT_ID,
        secret=OIDC_SECRET,
        redirect_uri=OIDC_CALLBACK,
    )
    yield url
    servers.process_stop(process)


def oidc_app(server_url, **extra):
    return {
        "provider_id": OIDC_PROVIDER_ID,
        "name": "Example ID",
        "client_id": extra.pop("client_id", OIDC_CLIENT_ID),
        "secret": OIDC_SECRET,
        "settings": {"server_url": server_url, "groups_claim": "groups", **extra},
    }


@pytest.fixture
def oidc(oidc_provider, settings, desk_team):
    """The desk configured with the provider ("Example ID") and mappings of its groups:
    desk-agents -> agent + Service desk, staff -> end user (visitors maps to nothing)."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [oidc_app(f"{oidc_provider}/o")],
        }
    }
    GroupMapping.objects.create(
        source=Source.OIDC, external_group="desk-agents", role=Role.AGENT, support_group=desk_team
    )
    GroupMapping.objects.create(source=Source.ANY, external_group="staff", role=Role.END_USER)
    return oidc_provider
