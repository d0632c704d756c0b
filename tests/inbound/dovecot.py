"""A throw-away Dovecot (IMAP + POP3) for the e-mail channel's tests, from Debian's packages.

`start(directory)` writes a config under `directory` (any address signs in with the one test
password and gets its own Maildir; plain sign-in over localhost; STARTTLS with a self-signed
certificate the tests trust), starts Dovecot on two free ports and returns a `Dovecot` handle.
OAuth2 sign-in (SASL XOAUTH2, OAUTHBEARER) goes through Dovecot's own oauth2 passdb, which
asks a local token introspection endpoint (`tests/inbound/oauth2_introspection.py`, started
beside Dovecot) whether a token is active and whose it is; `Dovecot.issue_token(address)`
makes one.
`.ci/run` starts one with `python -m tests.inbound.dovecot DIR` and exports
SERVICEDESK_DOVECOT_DIR; the tests use it when it answers, else start their own.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "secret"


def binary() -> str | None:
    return shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Dovecot:
    directory: Path
    imap_port: int
    pop3_port: int
    owned: bool = True
    introspection_pid: int | None = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def ca_file(self) -> str:
        return str(self.directory / "cert.pem")

    def add_account(self) -> str:
        """A new account (its address, the password is PASSWORD) with its own Maildir."""
        return f"desk-{uuid.uuid4().hex[:10]}@example.test"

    def issue_token(self, address: str) -> str:
        """A new OAuth2 access token for `address`, active at the introspection endpoint."""
        token = f"tok-{uuid.uuid4().hex}"
        (self.directory / "tokens" / token).write_text(address)
        return token

    def revoke_token(self, token: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.directory / "tokens" / token).unlink()

    def stop(self) -> None:
        if not self.owned:
            return
        pid_file = self.directory / "run" / "master.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        if self.introspection_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.introspection_pid, signal.SIGTERM)

    def answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.imap_port), timeout=2) as sock:
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False


def _config(directory: Path, imap_port: int, pop3_port: int, introspection_port: int) -> str:
    if os.geteuid() == 0:
        login_user, internal_user = "dovenull", "dovecot"
        uid = gid = "dovecot"
    else:
        name = pwd.getpwuid(os.geteuid()).pw_name
        login_user = internal_user = uid = name
        gid = str(os.getegid())
    return f"""
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
instance_name = servicedesk-test-{imap_port}
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <{directory}/cert.pem
ssl_key = <{directory}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {gid if os.geteuid() != 0 else internal_user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{directory}/mail/%u
auth_failure_delay = 0
# OAuth2 tokens are checked by Dovecot's oauth2 passdb against the local introspection
# endpoint (the token must be active and issued for the address signing in).
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {directory}/oauth2.conf.ext
}}
# Every account of the test domain signs in with the one test password: a test makes a
# fresh account by using a fresh address (each has its own Maildir).
passdb {{
  driver = static
  mechanisms = plain login
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={directory}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _oauth2_config(introspection_port: int) -> str:
    return f"""introspection_mode = post
introspection_url = http://127.0.0.1:{introspection_port}/introspect
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
"""


def _start_introspection(directory: Path, port: int) -> int:
    """The introspection endpoint as a process of its own (it outlives `python -m` here, as
    Dovecot does); its pid."""
    with open(directory / "introspection.log", "w") as log_file:
        process = subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, "-m", "tests.inbound.oauth2_introspection", str(port),
             str(directory / "tokens")],
            cwd=Path(__file__).resolve().parents[2], stdin=subprocess.DEVNULL,
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    for _ in range(100):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return process.pid
        time.sleep(0.05)
    process.terminate()
    raise RuntimeError(f"the OAuth2 introspection endpoint did not answer on port {port}")


def _certificate(directory: Path) -> None:
    openssl = shutil.which("openssl") or "/usr/bin/openssl"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(directory / "key.pem"),
            "-out",
            str(directory / "cert.pem"),
        ],  # fmt: skip
        check=True,
        capture_output=True,
    )


def start(directory: Path | str) -> Dovecot:
    """Start a Dovecot under `directory` on free ports; RuntimeError saying why it did not."""
    directory = Path(directory)
    path = binary()
    if path is None:
        raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d)")
    for sub in ("run", "state", "mail", "tokens"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    _certificate(directory)
    imap_port, pop3_port, introspection_port = _free_port(), _free_port(), _free_port()
    (directory / "dovecot.conf").write_text(
        _config(directory, imap_port, pop3_port, introspection_port)
    )
    (directory / "oauth2.conf.ext").write_text(_oauth2_config(introspection_port))
    introspection_pid = _start_introspection(directory, introspection_port)
    os.chmod(directory, 0o755)  # noqa: S103 - Dovecot's own users read the Maildirs
    if os.geteuid() == 0:
        shutil.chown(directory / "mail", "dovecot", "dovecot")
    # The daemon keeps the streams it was given: a file, never a pipe we would wait on.
    with open(directory / "start.log", "w") as log_file:
        result = subprocess.run(  # noqa: S603 - our own config
            [path, "-c", str(directory / "dovecot.conf")],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0:
        os.kill(introspection_pid, signal.SIGTERM)
        output = (directory / "start.log").read_text().strip()
        raise RuntimeError(f"dovecot did not start: {output}")
    server = Dovecot(directory, imap_port, pop3_port, introspection_pid=introspection_pid)
    for _ in range(100):
        if server.answers():
            (directory / "ports.json").write_text(
                json.dumps(
                    {"imap": imap_port, "pop3": pop3_port, "introspection_pid": introspection_pid}
                )
            )
            return server
        time.sleep(0.05)
    log = (directory / "dovecot.log").read_text() if (directory / "dovecot.log").exists() else ""
    server.stop()
    raise RuntimeError(f"dovecot did not answer on port {imap_port}: {log[-500:]}")


def running(directory: Path | str) -> Dovecot | None:
    """The Dovecot `.ci/run` started under `directory`, when it answers (one started before
    the OAuth2 introspection endpoint existed does not count)."""
    directory = Path(directory)
    try:
        ports = json.loads((directory / "ports.json").read_text())
    except (OSError, ValueError):
        return None
    if "introspection_pid" not in ports:
        return None
    server = Dovecot(directory, ports["imap"], ports["pop3"], owned=False)
    return server if server.answers() else None


if __name__ == "__main__":
    target = Path(sys.argv[1])
    existing = running(target)
    if existing is None and (target / "run" / "master.pid").exists():
        Dovecot(target, 0, 0).stop()  # an older one, without the OAuth2 endpoint
        time.sleep(1)
    server = existing or start(target)
    print(f"dovecot: IMAP {server.imap_port}, POP3 {server.pop3_port}, under {target}")
