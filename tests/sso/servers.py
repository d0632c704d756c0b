"""Real servers for the single sign-on tests: OpenLDAP's slapd (Debian's package) loaded with
directory.ldif, and an OpenID Connect provider (django-oauth-toolkit in a process of its own).

Set SERVICEDESK_REQUIRE_SSO=1 (CI does) to turn a missing slapd into a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REQUIRED = os.environ.get("SERVICEDESK_REQUIRE_SSO") == "1"
SLAPD = os.environ.get("SLAPD_PATH", "/usr/sbin/slapd")
LDAP_BASE = "dc=example,dc=org"
LDAP_ADMIN = f"cn=admin,{LDAP_BASE}"
LDAP_ADMIN_PASSWORD = "directory-admin-secret"


def missing(message: str):
    if REQUIRED:
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} in {seconds}s:\n{log.read_text()}")


SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
database mdb
maxsize 67108864
suffix "{base}"
rootdn "{admin}"
rootpw {password}
directory {dir}/data
index objectClass eq
index mail eq
index member eq
"""


def slapd_start(workdir: Path):
    """slapd on a free port of 127.0.0.1, its own config and data in `workdir`. Returns
    (process, uri)."""
    if not (Path(SLAPD).exists() or shutil.which(SLAPD)):
        missing(f"slapd not found at {SLAPD}: apt-get install slapd ldap-utils")
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    conf = workdir / "slapd.conf"
    conf.write_text(
        SLAPD_CONF.format(
            dir=workdir, base=LDAP_BASE, admin=LDAP_ADMIN, password=LDAP_ADMIN_PASSWORD
        )
    )
    port = free_port()
    uri = f"ldap://127.0.0.1:{port}"
    log = workdir / "slapd.log"
    # -d 0: stay in the foreground (the fixture ends it), log nothing but errors.
    process = subprocess.Popen(  # noqa: S603
        [SLAPD, "-f", str(conf), "-h", f"{uri}/", "-d", "0"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process, log)
    return process, uri


def directory_load(uri: str) -> None:
    """Empty the tree and load directory.ldif again (each test starts from it)."""
    import ldap
    import ldap.modlist
    from ldif import LDIFRecordList

    connection = ldap.initialize(uri)
    connection.simple_bind_s(LDAP_ADMIN, LDAP_ADMIN_PASSWORD)
    try:
        found = connection.search_s(LDAP_BASE, ldap.SCOPE_SUBTREE, "(objectClass=*)", ["1.1"])
    except ldap.NO_SUCH_OBJECT:
        found = []
    for dn, _attrs in sorted(found, key=lambda item: -len(item[0])):
        connection.delete_s(dn)
    records = LDIFRecordList((HERE / "directory.ldif").open("rb"))
    records.parse()
    for dn, entry in records.all_records:
        connection.add_s(dn, ldap.modlist.addModlist(entry))
    connection.unbind_s()


def process_stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def oidc_provider_start(workdir: Path, *, client_id: str, secret: str, redirect_uri: str):
    """The test OpenID Connect provider (tests/sso/oidc_provider) on a free port. Returns
    (process, base URL); its issuer is <base URL>/o."""
    port = free_port()
    log = workdir / "oidc-provider.log"
    env = {
        **os.environ,
        "OIDC_TEST_DIR": str(workdir),
        "OIDC_TEST_CLIENT_ID": client_id,
        "OIDC_TEST_SECRET": secret,
        "OIDC_TEST_REDIRECT_URI": redirect_uri,
        "DJANGO_SETTINGS_MODULE": "tests.sso.oidc_provider.settings",
    }
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "tests.sso.oidc_provider.serve", str(port)],
        cwd=HERE.parents[1],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process, log, seconds=120)
    return process, f"http://127.0.0.1:{port}"
