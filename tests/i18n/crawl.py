"""A same-site crawler and the language checks of every page it reaches.

`crawl` follows `<a href>` links (GET only) from a start page with a logged-in test
client; `page_problems` reads one page's visible text and says what is wrong with it:

- in a Chinese context (the nearest `lang` attribute starts with "zh"): an English word of
  three or more letters, or a Simplified character;
- in an English context: a Chinese character;
- anywhere: a Python repr (`Text(`, `<… object at 0x…>`, `{'`, `['`, a lazy proxy, a
  text that is just `None`, `[]`, `{}`, `True` or `False`).

Visible text is every text node outside `<script>`, `<style>` and `<textarea>` (typed
content), plus the attributes a person reads or hears: `title`, `aria-label`,
`placeholder`, `alt` and the `value` of buttons. An element with a `lang` attribute of
the other language (the "English" / "繁體中文" switch) is checked as that language.

User data is not UI text and is taken out before the checks: the values the test's
database holds (names, e-mail addresses, stock codes, cohort names, notes...: passed in as
`data`), e-mail addresses, URLs, file names, numbers, dates and times. What is left may
still name a product or standard: `ALLOWED_WORDS`, short and explained, is the list of
those. To allow a new word, add it there with the reason; never allow a whole page.

Simplified characters: OpenCC (the `opencc` package) converts each Chinese character
Simplified → Traditional; a character that changes *and* has no Big5 code (Big5 is the
Traditional character set used in Hong Kong and Taiwan) is Simplified-only. The Big5 test
keeps characters that are correct in both scripts (台, 群, 准, 表, 了, 核...), which
OpenCC maps to rarer variants, from being reported; the price is that a Simplified form
which is also an old Traditional character (据 as in 拮据) passes, while its neighbours
(数 of 数据) do not. `config/tests/test_translations.py` also checks the catalogue.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import opencc

# Words that stay in Latin letters in Chinese copy: acronyms and names the readers use as
# they are (checked case-sensitively, as written).
ALLOWED_WORDS = frozenset(
    {
        "AI",  # the subject of the assessment, written so in Hong Kong Chinese
        "HKEX", "GEM", "HSICS",  # the exchange, its board for smaller companies, its industries
        "PDF", "CSV", "XLSX", "ZIP", "HTML", "JSON", "YAML", "SVG",  # file formats
        "API", "KPI", "ESG", "ERP", "CRM", "SaaS", "RPA",  # terms of the trade
        "UTC", "HKT",  # time zones
        "Excel",  # the spreadsheet program a template is offered for
        "Django",  # the admin's own product name (its footer and title)
        "Control", "Command", "Mac",  # key names in Django's own help text
        "HTTP", "GET", "POST", "SHA",  # protocol terms in the login-attempt log's fields
        "SSO", "LDAP",  # sign-in systems named in the admin's password form
        "ISO", "IEC", "NIST", "RMF",  # standards the framework cites: ISO/IEC 42001, NIST AI RMF
        "GOVERN", "MAP", "MEASURE", "MANAGE",  # the NIST AI RMF's functions, as it names them
        # Authenticator apps and security keys the second-factor page names as examples
        "Google", "Microsoft", "Authenticator", "Password", "YubiKey", "TOTP", "WebAuthn",
    }
)  # fmt: skip

# Written the same in both languages' pages on purpose: each language's name in itself (the
# language switch, "CSV (English)"), and an example of a value that is Latin letters (a
# cohort's short name in the web address).
ALLOWED_PHRASES = ("English", "繁體中文", "members-2027")

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
REPR = re.compile(
    r"Text\(|object at 0x|\{'|\['|__proxy__|<django\.|<function |\bNoneType\b|"
    r"\bgettext(_lazy)?\(|\bTextChoices\b"
)
# A text that is only one of these is a value printed as Python writes it. ("None", "True"
# and "False" are also English words, e.g. the framework's lowest level is "None": in
# Chinese pages they are reported as English, in English pages they cannot be told apart.)
BARE_REPR = frozenset({"[]", "{}", "()", "nan", "NaN"})
DATA_PATTERNS = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+"  # e-mail addresses
    r"|https?://\S+"  # URLs
    r"|\b[\w-]+\.(pdf|csv|xlsx|zip|yaml|json|txt)\b"  # file names
    r"|\b[0-9a-f]{16,}\b|\b[0-9a-f]+\*{4,}"  # checksums, tokens, masked hashes
    r"|\d+([.:/-]\d+)*"  # numbers, dates, times
)

VISIBLE_ATTRS = ("title", "aria-label", "placeholder", "alt")
SKIP_TAGS = {"script", "style", "textarea", "template-skip"}
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


@lru_cache(maxsize=4096)
def is_simplified(char: str) -> bool:
    if _s2t().convert(char) == char:
        return False
    try:
        char.encode("big5")
    except UnicodeEncodeError:
        return True
    return False


@dataclass
class Chunk:
    text: str
    lang: str  # "zh" or "en"
    where: str  # the element (and attribute) it came from


class _Reader(HTMLParser):
    """Visible text chunks with the language in force, and the page's links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str, bool]] = []  # (tag, lang, skipped)
        self.chunks: list[Chunk] = []
        self.links: list[str] = []
        self.page_lang = "en"

    def _lang(self) -> str:
        return self.stack[-1][1] if self.stack else self.page_lang

    def _skipped(self) -> bool:
        return bool(self.stack) and self.stack[-1][2]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        lang = self._lang()
        if a.get("lang"):
            lang = "zh" if a["lang"].lower().startswith("zh") else "en"
            if tag == "html":
                self.page_lang = lang
        # translate="no" marks a value, not words (a second-factor key, a code).
        skipped = self._skipped() or tag in SKIP_TAGS or a.get("translate") == "no"
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if not skipped:
            for name in VISIBLE_ATTRS:
                if a.get(name) and not (
                    tag == "img" and a.get("src", "").startswith("/static/admin/img/")
                ):
                    # Django's admin writes a boolean's icon as alt="True"/"False": the
                    # picture is what is read (its own code, not this project's).
                    self.chunks.append(Chunk(a[name], lang, f"<{tag} {name}>"))
            if tag == "input" and a.get("type") in ("submit", "button", "reset") and a.get("value"):
                self.chunks.append(Chunk(a["value"], lang, f"<{tag} value>"))
        if tag not in VOID:
            self.stack.append((tag, lang, skipped))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        for n in range(len(self.stack) - 1, -1, -1):
            if self.stack[n][0] == tag:
                del self.stack[n:]
                return

    def handle_data(self, data: str) -> None:
        if self._skipped() or not data.strip():
            return
        where = self.stack[-1][0] if self.stack else "?"
        self.chunks.append(Chunk(data, self._lang(), f"<{where}>"))


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def strip_data(text: str, data: Iterable[str]) -> str:
    for value in (*data, *ALLOWED_PHRASES):
        if value and value in text:
            text = text.replace(value, " ")
    return DATA_PATTERNS.sub(" ", text)


def chunk_problems(chunk: Chunk, data: tuple[str, ...]) -> list[str]:
    raw = " ".join(chunk.text.split())
    problems = []
    if REPR.search(raw) or raw in BARE_REPR:
        problems.append(f"Python repr {raw[:80]!r} in {chunk.where}")
    text = strip_data(raw, data)
    if chunk.lang == "zh":
        words = [w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED_WORDS]
        if words:
            problems.append(f"English {', '.join(sorted(set(words)))!s} in {raw[:100]!r}")
        simplified = sorted({c for c in text if CJK.match(c) and is_simplified(c)})
        if simplified:
            problems.append(f"Simplified {''.join(simplified)} in {raw[:100]!r}")
    elif CJK.search(text):
        problems.append(f"Chinese in an English page: {raw[:100]!r}")
    return problems


def page_problems(html: str, *, data: tuple[str, ...], expect_lang: str | None) -> list[str]:
    reader = read(html)
    problems = []
    if expect_lang and reader.page_lang != expect_lang:
        problems.append(f"page language is {reader.page_lang}, not {expect_lang}")
    for chunk in reader.chunks:
        problems.extend(chunk_problems(chunk, data))
    return problems


@dataclass
class CrawlResult:
    pages: dict[str, list[str]] = field(default_factory=dict)  # url -> problems
    errors: list[str] = field(default_factory=list)

    def report(self) -> list[str]:
        out = list(self.errors)
        for url, problems in self.pages.items():
            out.extend(f"{url}: {p}" for p in dict.fromkeys(problems))
        return out


def shape(path: str) -> str:
    """A URL's shape: numbers (ids) replaced, so one of many alike pages stands for all."""
    return re.sub(r"\d+", "N", path)


def crawl(
    get: Callable[[str], tuple[int, str, str]],
    start: Iterable[str],
    *,
    skip: Callable[[str], bool],
    check: Callable[[str, str], list[str]],
    max_pages: int = 200,
    per_shape: int = 2,
) -> CrawlResult:
    """Breadth-first over same-site links. `get(url)` → (status, content type, body);
    at most `per_shape` pages of one shape (the path with its ids, whatever the query) are
    fetched."""
    result = CrawlResult()
    queue: deque[str] = deque(start)
    seen: set[str] = set(queue)
    shapes: dict[str, int] = {}
    while queue and len(result.pages) < max_pages:
        url = queue.popleft()
        key = shape(urlsplit(url).path)  # a list's sorted and filtered views count as it
        if shapes.get(key, 0) >= per_shape:
            continue
        shapes[key] = shapes.get(key, 0) + 1
        status, content_type, body = get(url)
        if status >= 400 and status != 403:
            result.errors.append(f"{url}: HTTP {status}")
            continue
        if status >= 300 or not content_type.startswith("text/html"):
            result.pages[url] = []
            continue
        result.pages[url] = check(url, body)
        for href in read(body).links:
            target, _ = urldefrag(urljoin(url, href))
            t = urlsplit(target)
            if t.scheme not in ("", "http") or t.netloc not in ("", "testserver"):
                continue
            local = t.path + (f"?{t.query}" if t.query else "")
            if local and local not in seen and not skip(local):
                seen.add(local)
                queue.append(local)
    return result
