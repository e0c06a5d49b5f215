"""HTML → PDF with WeasyPrint, fetching nothing but the app's own bundled assets."""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .fonts import font_dir

ASSETS = (Path(__file__).resolve().parent / "assets").resolve()
logger = logging.getLogger(__name__)


class BundledAssetsOnly(URLFetcher):
    """Refuses every URL except files inside reports/assets/ and the report font folder.

    Free text typed by respondents is escaped by the templates, but a report must not be
    able to read local files (file:///etc/passwd), reach the network, or embed
    attachments even if markup slipped through: anything else raises, and WeasyPrint
    renders without the resource.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file",), fail_on_errors=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "file" and not parts.netloc:
            path = Path(unquote(parts.path)).resolve()
            if any(path.is_relative_to(root) for root in _allowed_roots()) and path.is_file():
                return URLFetcherResponse(url, body=path.read_bytes())
        self.refused.append(url[:200])
        logger.warning("report rendering refused to fetch %s", url[:200])
        raise ValueError("reports may only use bundled assets")


def _allowed_roots() -> tuple[Path, ...]:
    return (ASSETS, font_dir().resolve())


_local = threading.local()


def _font_config() -> FontConfiguration:
    # One per thread: building it loads fontconfig; a warm worker reuses it.
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


@contextlib.contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Layout allocates hundreds of thousands of short-lived objects that reference
    counting frees; the cyclic collector's frequent passes over them cost 5-15 % of a
    render in interleaved A/B runs here (docs/PERFORMANCE.md). Collect less often while
    rendering; the threshold is restored afterwards."""
    previous = gc.get_threshold()
    gc.set_threshold(100_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def html_to_pdf(html: str, *, fetcher: BundledAssetsOnly | None = None) -> bytes:
    document = HTML(
        string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=fetcher or BundledAssetsOnly()
    )
    with _fewer_gc_passes():
        pdf = document.write_pdf(font_config=_font_config())
    assert pdf is not None
    return pdf
