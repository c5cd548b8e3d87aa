"""The built site, served on 127.0.0.1 for the checks in this folder."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]  # the project: site/ and artifacts/ are here
SITE = Path(os.environ.get("SITE_DIR", ROOT / "site")).resolve()
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
METRICS = ARTIFACTS / "site-metrics.json"
NO_SITE = f"no built site in {SITE}: run `nox -s tests` (or `nox -s build`) first"
# What mkdocs.yml reads from the environment: where the site is published, the repository.
PUBLISHING = ("SITE_URL", "REPO_URL", "EDIT_URI")
BUILD_TIMEOUT = 300  # seconds
WIDE, NARROW = 1280, 390  # a laptop's and a phone's width, in CSS pixels


def html_pages(site: Path = SITE) -> list[str]:
    """Every page of the built site, as a URL path relative to its root ('' is the home page)."""
    pages = sorted(
        "" if p.parent == site else p.parent.relative_to(site).as_posix() + "/"
        for p in site.rglob("index.html")
    )
    if (site / "404.html").is_file():
        pages.append("404.html")
    return pages


def page_file(path: str, site: Path = SITE) -> Path:
    """The file of a page named as html_pages() names it."""
    return site / path if path.endswith(".html") else site / path / "index.html"


def build(site_dir: Path, **environment: str) -> Path:
    """Build the site from mkdocs.yml into site_dir with these of PUBLISHING set (the others
    unset), as a non-publish build: claims show whatever status the report gives them."""
    env = {k: v for k, v in os.environ.items() if k not in PUBLISHING}
    env |= {"NO_MKDOCS_2_WARNING": "true", "DISABLE_MKDOCS_2_WARNING": "true", **environment}
    env.pop("VERIFIED_DOCS_PUBLISH", None)
    command = [sys.executable, "-m", "mkdocs", "build", "--no-strict", "--site-dir", str(site_dir)]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stderr}"
    return site_dir


def base_path(site: Path = SITE) -> str:
    """The path the site is published under, from its canonical URL (site_url in mkdocs.yml):
    404.html links to it absolutely, so the checks serve the site there too."""
    index = (site / "index.html").read_text(encoding="utf-8")
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', index)
    path = urlsplit(canonical[1]).path if canonical else "/"
    return path if path.endswith("/") else path + "/"


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files under the site's base path, and 404.html for what is missing, as GitHub
    Pages does. The `LinkChecker` header tells linkchecker that the server is the checker's
    own, so that it does not throttle itself to a few requests a second."""

    base = "/"

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.base):
            return str(Path(self.directory) / "no such file")
        return super().translate_path("/" + path.removeprefix(self.base))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def end_headers(self) -> None:
        self.send_header("LinkChecker", "local test server")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class SiteServer:
    root: Path
    url: str  # http://127.0.0.1:PORT/BASE/

    @property
    def netloc(self) -> str:
        return urlsplit(self.url).netloc


@contextmanager
def serve(root: Path, base: str = "/") -> Iterator[SiteServer]:
    """Serve a folder at http://127.0.0.1:PORT/BASE/ (a free port) from a thread, until the
    block ends."""
    handler_class = type("Handler", (SiteHandler,), {"base": base})
    handler = functools.partial(handler_class, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    thread.daemon = True
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield SiteServer(root, f"http://{host}:{port}{base}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
