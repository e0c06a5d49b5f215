"""HTML → PDF with WeasyPrint, fetching nothing but the app's own bundled assets."""

from __future__ import annotations

import contextlib
import gc
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
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


def _stylesheet(css: str) -> CSS:
    """The report's stylesheet, parsed and its selectors compiled once per worker thread.

    Every report uses the same few kilobytes of CSS; reparsing them cost about 5 % of a
    render. Keyed by the text, so a changed template or font subset gets a fresh parse.
    """
    cache: dict[str, CSS] = getattr(_local, "stylesheets", None) or {}
    _local.stylesheets = cache
    sheet = cache.get(css)
    if sheet is None:
        cache.clear()  # one report stylesheet at a time; don't grow with template edits
        sheet = cache[css] = CSS(
            string=css,
            base_url=ASSETS.as_uri() + "/",
            url_fetcher=BundledAssetsOnly(),
            font_config=_font_config(),
        )
    return sheet


# A newline between two tags is template indentation, never content: typed text is
# escaped, so it cannot contain "<" or ">". Dropping it saves the HTML parser and the
# layout the whitespace text nodes (the PDF text is identical, see test_rendering).
_INDENTATION = re.compile(r">\s*\n\s*<")


def html_to_pdf(html: str, *, css: str = "", fetcher: BundledAssetsOnly | None = None) -> bytes:
    """Render `html` (plus the shared stylesheet `css`, if given) to PDF bytes."""
    document = HTML(
        string=_INDENTATION.sub("><", html),
        base_url=ASSETS.as_uri() + "/",
        url_fetcher=fetcher or BundledAssetsOnly(),
    )
    with _fewer_gc_passes():
        pdf = document.write_pdf(
            font_config=_font_config(), stylesheets=[_stylesheet(css)] if css else None
        )
    assert pdf is not None
    return pdf
