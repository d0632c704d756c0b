"""SAML 2.0 (ADFS): the identity provider's metadata in (file, admin, metadata URL), our metadata
out, and sign-ins with signed assertions; a wrong signature, audience or validity time, or a
person without an e-mail address, is refused on the sign-in page with nothing created."""

import datetime as dt
import http.server
import threading

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.core.exceptions import ValidationError
from lxml import etree

from accounts.models import User
from accounts.roles import Role, user_roles
from sso.models import GroupMapping, SamlProvider, Source
from sso.services import saml_idp_from_metadata, saml_provider_import_metadata
from tests.sso import saml_idp
from tests.sso.conftest import signed_in

pytestmark = pytest.mark.django_db

SLUG = "contoso"
HOST = "desk.example.test"  # python3-saml wants a dotted host name in our addresses
ACS = f"http://{HOST}/sso/saml/{SLUG}/acs/"
SP_ENTITY = f"http://{HOST}/sso/saml/{SLUG}/metadata/"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"


@pytest.fixture
def client(settings):
    """A browser reaching the desk at its host name, as every browser sends one."""
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    return Client(HTTP_HOST=HOST)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture(scope="module")
def idp_key():
    return saml_idp.signing_key()


@pytest.fixture
def adfs(db, idp_key, admin_user, desk_team):
    """Contoso's ADFS, taken in from its metadata, and mappings of its groups."""
    app = SocialApp(provider="saml", client_id=SLUG, name="Contoso ADFS")
    saml_provider_import_metadata(app=app, xml=saml_idp.metadata(idp_key), actor=admin_user)
    GroupMapping.objects.create(
        source=Source.SAML, external_group="desk-agents", role=Role.AGENT, support_group=desk_team
    )
    GroupMapping.objects.create(source=Source.SAML, external_group="staff", role=Role.END_USER)
    return app


def start(client) -> str:
    response = client.post(f"/sso/saml/{SLUG}/login/", {"process": "login"})
    assert response.status_code == 302
    assert response["Location"].startswith(saml_idp.SSO_URL)
    return saml_idp.authn_request_id(response["Location"])


def post_response(client, saml_response):
    return client.post(f"/sso/saml/{SLUG}/acs/", {"SAMLResponse": saml_response}, follow=True)


def sign_in(client, key, **claims):
    request_id = start(client)
    options = {"acs_url": ACS, "audience": SP_ENTITY, "name": "Carol Contoso"} | claims
    return post_response(client, saml_idp.response(key, in_response_to=request_id, **options))


def login_page_text(response):
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    return response.content.decode()


def test_our_metadata_names_our_entity_and_assertion_consumer_service(client, adfs):
    response = client.get(f"/sso/saml/{SLUG}/metadata/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)  # noqa: S320 (our own document)
    assert root.get("entityID") == SP_ENTITY
    acs = root.find(f"{MD}SPSSODescriptor/{MD}AssertionConsumerService")
    assert acs.get("Location") == ACS
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def test_metadata_in_sets_the_identity_provider(idp_key):
    idp = saml_idp_from_metadata(xml=saml_idp.metadata(idp_key))

    assert idp == {
        "entity_id": saml_idp.ENTITY_ID,
        "sso_url": saml_idp.SSO_URL,
        "slo_url": saml_idp.SSO_URL,
        "x509cert": idp_key.cert_body,
    }


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<not-closed", "is not SAML metadata"),
        (
            '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>',
            "names no identity provider",
        ),
        (
            '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            "is not SAML metadata",
        ),
    ],
)
def test_bad_metadata_is_refused_with_a_message(xml, message):
    with pytest.raises(ValidationError, match=message):
        saml_idp_from_metadata(xml=xml)


def test_the_admin_takes_the_metadata_in_from_a_file(admin_client, idp_key):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("FederationMetadata.xml", saml_idp.metadata(idp_key).encode())
    response = admin_client.post(
        "/admin/sso/samlprovider/add/",
        {"name": "Contoso ADFS", "client_id": SLUG, "metadata_file": upload, "metadata_xml": ""},
    )

    assert response.status_code == 302, response.content.decode()
    app = SamlProvider.objects.get(client_id=SLUG)
    assert app.provider == "saml"
    assert app.settings["idp"]["entity_id"] == saml_idp.ENTITY_ID
    assert app.settings["advanced"]["want_assertion_signed"] is True
    page = admin_client.get(f"/admin/sso/samlprovider/{app.pk}/change/").content.decode()
    assert f"/sso/saml/{SLUG}/metadata/" in page


def test_the_admin_refuses_bad_metadata_and_saves_nothing(admin_client):
    response = admin_client.post(
        "/admin/sso/samlprovider/add/",
        {"name": "Contoso ADFS", "client_id": SLUG, "metadata_xml": "<nope"},
    )

    assert response.status_code == 200
    assert "is not SAML metadata" in response.content.decode()
    assert not SocialApp.objects.exists()


def test_the_sign_in_page_shows_the_saml_button(client, adfs):
    html = client.get("/accounts/login/").content.decode()

    assert "Sign in with Contoso ADFS" in html
    assert f'action="/sso/saml/{SLUG}/login/"' in html


def test_a_signed_assertion_signs_the_person_in_with_their_groups(client, adfs, idp_key, desk_team):
    response = sign_in(client, idp_key, email="Carol@Contoso.test", groups=("desk-agents", "staff"))

    assert response.redirect_chain[-1][0] == "/workspace/"
    carol = User.objects.get(email="carol@contoso.test")
    assert signed_in(client) == carol
    assert carol.full_name == "Carol Contoso"
    assert user_roles(carol) == {Role.AGENT, Role.END_USER}
    assert list(carol.support_groups.all()) == [desk_team]


def test_an_assertion_signed_by_another_key_is_refused(client, adfs):
    impostor = saml_idp.signing_key("Not ADFS")

    html = login_page_text(sign_in(client, impostor, email="carol@contoso.test", groups=("staff",)))

    assert "cannot trust" in html
    assert not User.objects.filter(email="carol@contoso.test").exists()


def test_an_assertion_changed_after_signing_is_refused(client, adfs, idp_key):
    response = sign_in(client, idp_key, email="carol@contoso.test", groups=("staff",), tamper=True)

    assert "cannot trust" in login_page_text(response)
    assert not User.objects.filter(email="carol@contoso.test").exists()


def test_an_assertion_for_another_audience_is_refused(client, adfs, idp_key):
    response = sign_in(
        client, idp_key, email="carol@contoso.test", groups=("staff",), audience="urn:someone-else"
    )

    assert "cannot trust" in login_page_text(response)
    assert not User.objects.filter(email="carol@contoso.test").exists()


def test_an_assertion_outside_its_validity_time_is_refused(client, adfs, idp_key):
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)  # the IdP's clock is behind

    response = sign_in(
        client, idp_key, email="carol@contoso.test", groups=("staff",), now=an_hour_ago
    )

    assert "cannot trust" in login_page_text(response)
    assert not User.objects.filter(email="carol@contoso.test").exists()


def test_a_person_without_an_e_mail_address_is_refused(client, adfs, idp_key):
    response = sign_in(client, idp_key, email=None, groups=("staff",))

    assert "has no e-mail address" in login_page_text(response)
    assert (
        not User.objects.exclude(email__in=["admin@example.com"])
        .filter(full_name="Carol Contoso")
        .exists()
    )
    assert not SocialAccount.objects.exists()


def test_groups_that_map_to_nothing_are_refused_without_a_default_role(
    client, adfs, idp_key, settings
):
    settings.SSO_DEFAULT_ROLE = ""

    response = sign_in(client, idp_key, email="carol@contoso.test", groups=("visitors",))

    assert "is in no group that may use the service desk" in login_page_text(response)
    assert not User.objects.filter(email="carol@contoso.test").exists()


def test_an_identity_provider_known_by_its_metadata_url(client, idp_key, settings):
    body = saml_idp.metadata(idp_key).encode()

    class Metadata(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/samlmetadata+xml")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Metadata)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/FederationMetadata.xml"
        settings.SOCIALACCOUNT_PROVIDERS = {
            "saml": {
                "APPS": [
                    {
                        "client_id": SLUG,
                        "name": "Contoso ADFS",
                        "settings": {
                            "idp": {"entity_id": saml_idp.ENTITY_ID, "metadata_url": url},
                            "advanced": {"want_assertion_signed": True},
                        },
                    }
                ]
            }
        }
        GroupMapping.objects.create(external_group="staff", role=Role.END_USER)
        response = sign_in(client, idp_key, email="dora@contoso.test", groups=("staff",))
    finally:
        server.shutdown()
        server.server_close()

    assert response.redirect_chain[-1][0] == "/portal/"
    assert User.objects.filter(email="dora@contoso.test").exists()


def test_a_metadata_url_that_does_not_answer_is_shown_on_the_sign_in_page(client, settings):
    from tests.sso.servers import free_port

    settings.SOCIALACCOUNT_PROVIDERS = {
        "saml": {
            "APPS": [
                {
                    "client_id": SLUG,
                    "name": "Contoso ADFS",
                    "settings": {
                        "idp": {
                            "entity_id": saml_idp.ENTITY_ID,
                            "metadata_url": f"http://127.0.0.1:{free_port()}/metadata.xml",
                        }
                    },
                }
            ]
        }
    }

    response = client.post(f"/sso/saml/{SLUG}/login/", {"process": "login"}, follow=True)

    assert "Contoso ADFS did not answer" in login_page_text(response)
