"""A report font subset once per machine and reused by every render.

WeasyPrint subsets each font it embeds on every render. Noto Sans CJK has 65,000 glyphs,
so that subsetting, plus loading the 20 MB collection, is a large share of a Chinese
report's time. We subset Noto Sans CJK TC *once* (with HarfBuzz, a second or two) to
every character of Big5 + HKSCS (all Traditional Chinese in common Hong Kong use,
Cantonese characters included), Latin and the punctuation and symbols reports use, and
point @font-face at that smaller font. Reports then only re-subset the small font.

Nothing is lost: the installed Noto Sans CJK TC stays next in the font stack, so a rare
character outside the subset (typed into an evidence note, say) still renders from it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from cffi import FFI
from django.conf import settings

logger = logging.getLogger(__name__)

SOURCES = {
    "Regular": "NotoSansCJK-Regular.ttc",
    "Bold": "NotoSansCJK-Bold.ttc",
}
FONT_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/noto-cjk"),
    Path("/usr/share/fonts/google-noto-cjk"),
)
TC_FAMILY = "Noto Sans CJK TC"
FAMILY = "Report Sans TC"  # must differ from the installed family (WeasyPrint #1073)
SUBSET_VERSION = "1"

_ffi = FFI()
_ffi.cdef(
    """
    typedef struct hb_blob_t hb_blob_t;
    typedef struct hb_face_t hb_face_t;
    typedef struct hb_set_t hb_set_t;
    typedef struct hb_subset_input_t hb_subset_input_t;
    typedef uint32_t hb_codepoint_t;
    hb_blob_t * hb_blob_create_from_file (const char *file_name);
    void hb_blob_destroy (hb_blob_t *blob);
    const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
    hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
    unsigned int hb_face_count (hb_blob_t *blob);
    void hb_face_destroy (hb_face_t *face);
    hb_blob_t * hb_face_reference_blob (hb_face_t *face);
    hb_subset_input_t * hb_subset_input_create_or_fail (void);
    void hb_subset_input_destroy (hb_subset_input_t *input);
    hb_set_t * hb_subset_input_unicode_set (hb_subset_input_t *input);
    void hb_set_add_range (hb_set_t *set, hb_codepoint_t first, hb_codepoint_t last);
    void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
    hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
    """
)


def _libs() -> tuple[object, object]:
    for core, sub in (
        ("libharfbuzz.so.0", "libharfbuzz-subset.so.0"),
        ("harfbuzz", "harfbuzz-subset"),
    ):
        try:
            return _ffi.dlopen(core), _ffi.dlopen(sub)
        except OSError:
            continue
    raise OSError("HarfBuzz subset library not found (Debian: libharfbuzz-subset0)")


def report_codepoints() -> list[int]:
    """Big5 + HKSCS ideographs and symbols, Latin, punctuation and the symbols we draw."""
    points: set[int] = set()
    for hi in range(0x81, 0xFF):
        for lo in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            try:
                text = bytes((hi, lo)).decode("big5hkscs")
            except UnicodeDecodeError:
                continue
            points.update(ord(ch) for ch in text)
    for first, last in (
        (0x0020, 0x024F),  # Latin
        (0x2000, 0x206F),  # general punctuation
        (0x2070, 0x20CF),  # super/subscripts, currency
        (0x2100, 0x218F),  # letterlike, number forms
        (0x2190, 0x21FF),  # arrows
        (0x2200, 0x22FF),  # maths
        (0x2460, 0x24FF),  # enclosed numbers
        (0x25A0, 0x25FF),  # geometric shapes (○ ●)
        (0x2600, 0x27BF),  # symbols, dingbats (✔)
        (0x3000, 0x303F),  # CJK punctuation
        (0x3100, 0x312F),  # bopomofo
        (0xFE30, 0xFE4F),  # CJK compatibility forms
        (0xFF00, 0xFFEF),  # full-width forms
    ):
        points.update(range(first, last + 1))
    return sorted(points)


@dataclass(frozen=True)
class ReportFonts:
    regular: Path
    bold: Path

    def css(self) -> str:
        return (
            f'@font-face {{ font-family: "{FAMILY}"; font-weight: normal; '
            f'src: url("{self.regular.as_uri()}"); }}\n'
            f'@font-face {{ font-family: "{FAMILY}"; font-weight: bold; '
            f'src: url("{self.bold.as_uri()}"); }}\n'
        )


def _find_source(name: str) -> Path | None:
    for folder in FONT_DIRS:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _tc_index(path: Path) -> int:
    # In Debian's collection the faces are JP, KR, SC, TC, HK: TC is index 3. Checked by
    # reading the face's family name, so another packaging order cannot fool us.
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == TC_FAMILY:
            return index
    raise ValueError(f"{path} has no {TC_FAMILY} face")


def subset_font(source: Path, index: int, target: Path, codepoints: list[int]) -> None:
    core, sub = _libs()
    blob = core.hb_blob_create_from_file(str(source).encode())  # type: ignore[attr-defined]
    face = core.hb_face_create(blob, index)  # type: ignore[attr-defined]
    request = sub.hb_subset_input_create_or_fail()  # type: ignore[attr-defined]
    try:
        unicodes = sub.hb_subset_input_unicode_set(request)  # type: ignore[attr-defined]
        for cp in codepoints:
            core.hb_set_add(unicodes, cp)  # type: ignore[attr-defined]
        result = sub.hb_subset_or_fail(face, request)  # type: ignore[attr-defined]
        if result == _ffi.NULL:
            raise RuntimeError(f"HarfBuzz could not subset {source}")
        out_blob = core.hb_face_reference_blob(result)  # type: ignore[attr-defined]
        length = _ffi.new("unsigned int *")
        data = core.hb_blob_get_data(out_blob, length)  # type: ignore[attr-defined]
        payload = bytes(_ffi.buffer(data, length[0]))
        core.hb_blob_destroy(out_blob)  # type: ignore[attr-defined]
        core.hb_face_destroy(result)  # type: ignore[attr-defined]
    finally:
        sub.hb_subset_input_destroy(request)  # type: ignore[attr-defined]
        core.hb_face_destroy(face)  # type: ignore[attr-defined]
        core.hb_blob_destroy(blob)  # type: ignore[attr-defined]
    if len(payload) < 1024:
        raise RuntimeError(f"subset of {source} is empty")
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(payload)
    tmp.replace(target)  # atomic: concurrent workers never read half a font


_lock = threading.Lock()
_cached: ReportFonts | bool | None = False


def font_dir() -> Path:
    return Path(settings.REPORT_FONT_DIR)


def report_fonts() -> ReportFonts | None:
    """The subset fonts, built on first use; None when Noto Sans CJK is not installed."""
    global _cached
    if _cached is not False:
        return _cached  # type: ignore[return-value]
    with _lock:
        if _cached is not False:
            return _cached  # type: ignore[return-value]
        _cached = _build()
        return _cached


def _build() -> ReportFonts | None:
    sources = {weight: _find_source(name) for weight, name in SOURCES.items()}
    if not all(sources.values()):
        logger.warning(
            "Noto Sans CJK not found (apt-get install fonts-noto-cjk); using system fonts"
        )
        return None
    count = len(report_codepoints())
    folder = font_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for weight, source in sources.items():
        assert source is not None
        stat = source.stat()
        key = hashlib.sha256(
            f"{SUBSET_VERSION}:{source}:{stat.st_size}:{stat.st_mtime_ns}:{count}".encode()
        ).hexdigest()[:12]
        target = folder / f"ReportSansTC-{weight}-{key}.otf"
        if not target.is_file():
            try:
                _subset_in_child(source, target)
            except (OSError, subprocess.SubprocessError) as exc:
                logger.error("could not build the report font subset (%s); using system fonts", exc)
                return None
        paths[weight] = target
    return ReportFonts(regular=paths["Regular"], bold=paths["Bold"])


def _subset_in_child(source: Path, target: Path) -> None:
    """Build one subset in a short-lived child process.

    HarfBuzz's subset plan for a 65,000-glyph collection (two of them) raised the calling
    process's peak RSS from ~165 MB to ~317 MB, measured with bench/report_pdf.py in a
    fresh clone; a Celery worker child would keep that high-water mark. The child takes
    the peak and exits. (The Docker image builds the subset at build time anyway.)
    """
    subprocess.run(  # noqa: S603 - our interpreter and module; paths we chose above
        [sys.executable, "-m", "reports.fonts", str(source), str(target)],
        cwd=Path(__file__).resolve().parents[1],
        check=True,
        capture_output=True,
        timeout=300,
    )
    if not target.is_file():
        raise OSError(f"the font subset child wrote no {target}")


def main(argv: list[str]) -> int:
    """`python -m reports.fonts SOURCE TARGET`: subset SOURCE's TC face into TARGET."""
    source, target = Path(argv[0]), Path(argv[1])
    subset_font(source, _tc_index(source), target, report_codepoints())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
