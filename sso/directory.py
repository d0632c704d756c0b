"""The LDAP / Active Directory client of the sync: one connection, paged searches of the people
and the groups under the configured bases. Sign-in goes through django-auth-ldap instead
(`sso.ldap_backend`); both read the same settings (docs/sso.md)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import ldap
from django.conf import settings
from ldap.controls import SimplePagedResultsControl

PAGE_SIZE = 500


class DirectoryUnavailable(Exception):
    """The directory did not answer or refused our bind."""


@dataclass(frozen=True)
class Entry:
    """A person's directory entry: its DN (lower case), attributes (names in lower case, values
    as text) and the groups it is in (each group's name and DN, lower case)."""

    dn: str
    attrs: dict[str, list[str]]
    groups: list[str] = field(default_factory=list)
    disabled: bool = False

    def first(self, name: str) -> str:
        values = self.attrs.get(name.lower()) or []
        return values[0].strip() if values else ""

    @property
    def external_id(self) -> str:
        return self.first(settings.LDAP_ATTRIBUTES["id"]) or self.dn


def _text(name: str, value: bytes | str) -> str:
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        if len(value) == 16:  # Active Directory's objectGUID, a binary GUID
            return str(uuid.UUID(bytes_le=value))
        return value.hex()


def entry_attrs(raw: dict) -> dict[str, list[str]]:
    """python-ldap's {name: [bytes]} as {lower-case name: [text]} (a binary GUID as its
    usual text form)."""
    return {name.lower(): [_text(name, value) for value in values] for name, values in raw.items()}


def connect():
    """A bound connection (DirectoryUnavailable when the directory is down or refuses us)."""
    if not settings.LDAP_SERVER_URI:
        raise DirectoryUnavailable("LDAP_SERVER_URI is not set")
    try:
        connection = ldap.initialize(settings.LDAP_SERVER_URI)
        connection.set_option(ldap.OPT_REFERRALS, 0)
        connection.set_option(ldap.OPT_NETWORK_TIMEOUT, settings.LDAP_TIMEOUT)
        connection.set_option(ldap.OPT_TIMEOUT, settings.LDAP_TIMEOUT)
        if settings.LDAP_START_TLS:
            connection.start_tls_s()
        connection.simple_bind_s(settings.LDAP_BIND_DN, settings.LDAP_BIND_PASSWORD)
    except ldap.LDAPError as error:
        raise DirectoryUnavailable(str(error)) from error
    return connection


def _search(connection, base: str, search_filter: str, attrlist: list[str] | None):
    control = SimplePagedResultsControl(True, size=PAGE_SIZE, cookie="")
    while True:
        msgid = connection.search_ext(
            base, ldap.SCOPE_SUBTREE, search_filter, attrlist, serverctrls=[control]
        )
        _type, results, _msgid, controls = connection.result3(msgid)
        for dn, attrs in results:
            if dn is not None:  # a search reference (AD's referrals) has none
                yield dn, attrs
        cookie = next(
            (c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType),
            b"",
        )
        if not cookie:
            return
        control.cookie = cookie


def group_memberships(connection) -> dict[str, list[str]]:
    """{member DN (lower case): [group name, group DN, ...]} for every group under the group
    base."""
    members: dict[str, list[str]] = {}
    if not settings.LDAP_GROUP_BASE:
        return members
    found = _search(
        connection, settings.LDAP_GROUP_BASE, settings.LDAP_GROUP_FILTER, ["cn", "member"]
    )
    for dn, raw in found:
        attrs = entry_attrs(raw)
        names = [dn.lower(), *[name.lower() for name in attrs.get("cn", [])]]
        for member in attrs.get("member", []):
            members.setdefault(member.lower(), []).extend(names)
    return members


def people(connection) -> Iterator[Entry]:
    """Every person under the user base, with their groups and whether the directory disables
    them (`LDAP_DISABLED_FILTER`)."""
    try:
        groups = group_memberships(connection)
        disabled: set[str] = set()
        if settings.LDAP_DISABLED_FILTER:
            both = f"(&{settings.LDAP_USER_FILTER}{settings.LDAP_DISABLED_FILTER})"
            disabled = {
                dn.lower() for dn, _a in _search(connection, settings.LDAP_USER_BASE, both, ["1.1"])
            }
        attrlist = ["*", settings.LDAP_ATTRIBUTES["id"]]
        for dn, raw in _search(
            connection, settings.LDAP_USER_BASE, settings.LDAP_USER_FILTER, attrlist
        ):
            key = dn.lower()
            yield Entry(
                dn=key, attrs=entry_attrs(raw), groups=groups.get(key, []), disabled=key in disabled
            )
    except ldap.LDAPError as error:
        raise DirectoryUnavailable(str(error)) from error


def is_disabled(connection, dn: str) -> bool:
    """Whether the directory disables this one entry (`LDAP_DISABLED_FILTER`)."""
    if not settings.LDAP_DISABLED_FILTER:
        return False
    found = connection.search_s(dn, ldap.SCOPE_BASE, settings.LDAP_DISABLED_FILTER, ["1.1"])
    return bool(found)
