"""A page of the site makes no request to any host other than the one serving it.

The home page's transfer size (every request made while it loads, headers included) is
recorded in artifacts/site-metrics.json and printed at the end of the session.
"""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Request
from site_helpers import SiteServer, html_pages

LOCAL_SCHEMES = {"data", "blob", "about"}


def foreign(requests: list[Request], netloc: str) -> list[str]:
    return [
        f"{r.resource_type} {r.url}"
        for r in requests
        if urlsplit(r.url).scheme not in LOCAL_SCHEMES and urlsplit(r.url).netloc != netloc
    ]


@pytest.mark.parametrize("path", html_pages() or [""], ids=lambda p: p or "home")
def test_page_loads_only_from_the_site(visit, site, path):
    opened = visit(path)
    assert opened.requests, "no request was recorded"
    assert not foreign(opened.requests, site.netloc)


def transferred(request: Request) -> int:
    """Bytes on the wire for one request: response headers and body as served."""
    response = request.response()
    assert response is not None, f"{request.url}: {request.failure}"
    sizes = request.sizes()
    body = max(sizes["responseBodySize"], int(response.headers.get("content-length", 0)))
    return sizes["requestHeadersSize"] + sizes["responseHeadersSize"] + body


def served_file(request: Request, site: SiteServer) -> Path:
    path = unquote(urlsplit(request.url).path).removeprefix(urlsplit(site.url).path)
    file = site.root / path
    return file / "index.html" if file.is_dir() else file


def test_home_page_transfer_size_is_recorded(visit, site, metrics):
    opened = visit("")
    assert not foreign(opened.requests, site.netloc)
    by_type: Counter[str] = Counter()
    gzipped = 0  # the bodies as a server that compresses them (GitHub Pages does) sends them
    for request in opened.requests:
        by_type[request.resource_type] += transferred(request)
        gzipped += len(gzip.compress(served_file(request, site).read_bytes()))
    total = sum(by_type.values())
    metrics.record(
        "home_page_transfer",
        {
            "requests": len(opened.requests),
            "bytes": total,
            "bytes_by_type": dict(by_type),
            "bodies_gzipped_bytes": gzipped,
        },
    )
    assert total > 0
