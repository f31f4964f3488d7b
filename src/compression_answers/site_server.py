"""The built site served over HTTP, compressed as a host like GitHub Pages serves it: what the
browser tests and the benchmark's Lighthouse run measure is what travels."""

import contextlib
import functools
import gzip
import http.server
import io
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".ipynb", ".txt"}


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files under `prefix` (a project site's subpath, as GitHub Pages serves one),
    gzip-compressed when the client accepts it; a missing page gets the site's 404.html with
    status 404, as a host serves it; no request log."""

    prefix = "/"

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "\0outside")  # no such file: a 404
        return super().translate_path("/" + path[len(self.prefix) :])

    def send_error(self, code, message=None, explain=None):
        not_found = Path(self.directory) / "404.html"
        if code != 404 or not not_found.is_file():
            return super().send_error(code, message, explain)
        body = not_found.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return None

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (
            "gzip" not in self.headers.get("Accept-Encoding", "")
            or path.suffix not in COMPRESSED
            or not path.is_file()
        ):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    """A browser that navigates away, or a page closed mid-load, drops its connection: not an
    error of the site's. Any other failure is still printed."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def served(site: Path, subpath: str = "/") -> Iterator[str]:
    """The site's base URL while the context lasts, the site served under `subpath`."""
    handler = functools.partial(
        type("Handler", (GzipHandler,), {"prefix": subpath}), directory=str(site)
    )
    server = Server(("127.0.0.1", 0), handler)
    # Polled often: shutting down waits for the next poll, at the end of every test run.
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{subpath}"
    finally:
        server.shutdown()
