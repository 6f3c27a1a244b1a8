"""A JWKS published over loopback HTTP for the tests of keys fetched from a URL (tokens.jwks_url)."""
from __future__ import annotations

import http.server
import json
import threading


class JwksServer:
    """A real loopback HTTP server publishing a JWKS that the test can rotate."""

    def __init__(self, jwks):
        self.body = json.dumps(jwks).encode()
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.hits += 1
                body = outer.body
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks.json"

    def publish(self, jwks):
        self.body = json.dumps(jwks).encode()

    def close(self):
        self.server.shutdown()
        self.thread.join(5)
