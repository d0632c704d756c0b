"""A SAML identity provider for the tests, as ADFS would answer: its signing key and certificate,
its metadata, and signed responses (python3-saml's own signing, xmlsec underneath)."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.utils import OneLogin_Saml2_Utils

ENTITY_ID = "http://adfs.example.test/adfs/services/trust"
SSO_URL = "http://adfs.example.test/adfs/ls/"
GROUP_CLAIM = "http://schemas.xmlsoap.org/claims/Group"
EMAIL_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
NAME_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"


@dataclass
class SigningKey:
    key_pem: str
    cert_pem: str

    @property
    def cert_body(self) -> str:
        return "".join(line for line in self.cert_pem.splitlines() if "-----" not in line)


def signing_key(common_name: str = "ADFS Signing - adfs.example.test") -> SigningKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return SigningKey(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
    )


def metadata(key: SigningKey) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{ENTITY_ID}">
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="signing">
      <KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">
        <X509Data><X509Certificate>{key.cert_body}</X509Certificate></X509Data>
      </KeyInfo>
    </KeyDescriptor>
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{SSO_URL}"/>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{SSO_URL}"/>
  </IDPSSODescriptor>
</EntityDescriptor>"""


def authn_request_id(redirect_url: str) -> str:
    """The ID of the AuthnRequest our desk sent in the HTTP-Redirect binding."""
    encoded = parse_qs(urlsplit(redirect_url).query)["SAMLRequest"][0]
    xml = zlib.decompress(base64.b64decode(encoded), -15)
    return etree.fromstring(xml).get("ID")  # noqa: S320 (our own request)


def _instant(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def response(
    key: SigningKey,
    *,
    in_response_to: str,
    acs_url: str,
    audience: str,
    email: str | None,
    name: str = "",
    groups: tuple[str, ...] = (),
    now: dt.datetime | None = None,
    tamper: bool = False,
) -> str:
    """A base64 SAMLResponse with a signed assertion about the person."""
    now = now or dt.datetime.now(dt.UTC)
    later = now + dt.timedelta(minutes=5)
    attributes = ""
    for claim, values in (
        (EMAIL_CLAIM, [email] if email else []),
        (NAME_CLAIM, [name] if name else []),
        (GROUP_CLAIM, list(groups)),
    ):
        if values:
            attributes += (
                f'<saml:Attribute Name="{claim}">'
                + "".join(f"<saml:AttributeValue>{value}</saml:AttributeValue>" for value in values)
                + "</saml:Attribute>"
            )
    subject = email or "someone-without-mail"
    assertion = f"""<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{uuid.uuid4().hex}" IssueInstant="{_instant(now)}" Version="2.0"><saml:Issuer>{ENTITY_ID}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{subject}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="{in_response_to}" NotOnOrAfter="{_instant(later)}" Recipient="{acs_url}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{_instant(now - dt.timedelta(minutes=1))}" NotOnOrAfter="{_instant(later)}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AttributeStatement>{attributes}</saml:AttributeStatement><saml:AuthnStatement AuthnInstant="{_instant(now)}" SessionIndex="_{uuid.uuid4().hex}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement></saml:Assertion>"""
    signed = OneLogin_Saml2_Utils.add_sign(
        assertion,
        key.key_pem,
        key.cert_pem,
        sign_algorithm=OneLogin_Saml2_Constants.RSA_SHA256,
        digest_algorithm=OneLogin_Saml2_Constants.SHA256,
    ).decode()
    signed = signed.replace('<?xml version="1.0"?>', "").strip()
    if tamper:
        signed = signed.replace("<saml:AttributeValue>staff<", "<saml:AttributeValue>desk-agents<")
    document = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant(now)}" Destination="{acs_url}" InResponseTo="{in_response_to}"><saml:Issuer>{ENTITY_ID}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>{signed}</samlp:Response>"""
    return base64.b64encode(document.encode()).decode()
