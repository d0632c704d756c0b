"""A real Prometheus Alertmanager for the tests (Debian's `prometheus-alertmanager`): its own
configuration on a free port, one route to the product's endpoint, short group timings so a
notification goes out within a second or two, clustering off."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CONFIG = """\
global:
  resolve_timeout: 5s
route:
  receiver: servicedesk
  group_by: ['alertname', 'instance']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: servicedesk
    webhook_configs:
      - url: {url}
        send_resolved: true
        max_alerts: 0
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


def binary() -> str | None:
    for candidate in ("prometheus-alertmanager", "alertmanager"):
        found = shutil.which(candidate)
        if found:
            return found
    return "/usr/bin/prometheus-alertmanager" if os.path.exists(
        "/usr/bin/prometheus-alertmanager") else None  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Alertmanager:
    process: subprocess.Popen
    port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def push(self, *alerts: dict) -> None:
        """POST /api/v2/alerts: what Prometheus itself sends."""
        request = urllib.request.Request(  # noqa: S310 - our local Alertmanager
            f"{self.url}/api/v2/alerts", data=json.dumps(list(alerts)).encode(),
            headers={"Content-Type": "application/json"}, method="POST",
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - local
            assert answer.status == 200

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


def start(*, webhook_url: str, token: str) -> Alertmanager:
    """Start one routed to `webhook_url`; RuntimeError (with its log) if it does not come up."""
    path = binary()
    if path is None:
        raise RuntimeError("prometheus-alertmanager is not installed")
    directory = Path(tempfile.mkdtemp(prefix="servicedesk-alertmanager-"))
    (directory / "alertmanager.yml").write_text(CONFIG.format(url=webhook_url, token=token))
    port = _free_port()
    log = (directory / "log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own arguments
        [path, f"--config.file={directory / 'alertmanager.yml'}",
         f"--storage.path={directory / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
         "--cluster.listen-address=", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = Alertmanager(process=process, port=port, directory=directory)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{server.url}/-/ready", timeout=1) as answer:  # noqa: S310
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    text = (directory / "log").read_text()
    server.stop()
    raise RuntimeError(f"Alertmanager did not start: {text[-2000:]}")
