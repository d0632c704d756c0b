"""A stand-in OAuth2 token introspection endpoint (RFC 7662) for the test Dovecot's oauth2
passdb: `python -m tests.inbound.oauth2_introspection PORT TOKENS_DIR`.

Dovecot POSTs `token=...` to it and gets `{"active": true, "username": ADDRESS}` for a token
a test issued (a file `TOKENS_DIR/<token>` holding the address it was issued for), else
`{"active": false}`: Dovecot then checks that the address is the one signing in. Listens on
127.0.0.1 only.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs


def handler_for(tokens: Path) -> type[BaseHTTPRequestHandler]:
    class Introspection(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server name
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            token = (form.get("token") or [""])[0]
            answer: dict = {"active": False}
            if token and "/" not in token and not token.startswith("."):
                path = tokens / token
                if path.is_file():
                    answer = {"active": True, "username": path.read_text().strip()}
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Introspection


def main(port: int, tokens: Path) -> None:
    ThreadingHTTPServer(("127.0.0.1", port), handler_for(tokens)).serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
