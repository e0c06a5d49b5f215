"""Benchmark: the cohort exports' XLSX written by cohorts/xlsx.py and by XlsxWriter.

Usage: python -m bench.xlsx_writers [--db ai_readiness_bench] [--repeat 3] [--xlsxwriter-path DIR]

The question it answers (issue 14: prefer a maintained library if one meets the export
targets, ≤ 10 s and ≤ 200 MB at 2,600 issuers): for the latest market cohort it builds the
same rows (`cohorts.exports.rows_for`, English) and writes them once with each writer, in a
fresh process each (`python -m bench.xlsx_writers --one WRITER KIND OUT`, measured as
bench/exports.py measures `export_cohort`: wall time with Django's start-up, peak RSS of
that process alone). The XlsxWriter variant is the features the export needs in
XlsxWriter's `constant_memory` mode: one `write_string` / `write_number` /
`write_datetime` per cell (never `write`, which would turn "=..." into a formula), header
bold and frozen, autofilter, date formats, column widths. XlsxWriter is not a dependency
of the app: install it anywhere (`pip install --target DIR xlsxwriter==3.3.1`) and pass
`--xlsxwriter-path DIR`. Files go to bench/.work/xlsx_writers/; the two files are also
compared cell by cell with openpyxl (`--compare`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common
from bench.common import log

WRITERS = ("own", "xlsxwriter")
KINDS = ("summary", "answers")


def _setup() -> Any:
    sys.path.insert(0, str(common.ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from cohorts.models import Cohort

    cohort = Cohort.objects.filter(slug__startswith="market-").order_by("-year").first()
    if cohort is None:
        raise SystemExit("no market cohort: run generate_market first")
    return cohort


def write_with_xlsxwriter(rows: Any, path: str, sheet: str) -> int:
    import xlsxwriter  # type: ignore[import-untyped]
    from django.utils import timezone

    tz = timezone.get_current_timezone()

    book = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": True,
        },
    )
    ws = book.add_worksheet(sheet)
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    count = width = 0
    for r, values in enumerate(rows):
        count += 1
        width = max(width, len(values))
        if r == 0:
            for c, value in enumerate(values):
                ws.write_string(r, c, value, bold)
                ws.set_column(c, c, max(8, min(60, len(value) + 2)))
            ws.freeze_panes(1, 0)
            continue
        for c, value in enumerate(values):
            kind = type(value)
            if kind is str:
                write_string(r, c, value)
            elif value is None:
                continue
            elif kind is datetime:
                if value.tzinfo is not None:  # Hong Kong wall-clock time, as cohorts.xlsx
                    value = value.astimezone(tz).replace(tzinfo=None)
                write_datetime(r, c, value, moment)
            elif kind is date:
                write_datetime(r, c, value, day)
            else:
                write_number(r, c, value)
    if count:
        ws.autofilter(0, 0, count - 1, width - 1)
    book.close()
    return count


def one(writer: str, kind: str, out: str) -> None:
    cohort = _setup()
    from cohorts import exports

    rows = exports.rows_for(kind, cohort, "en")
    if writer == "own":
        exports.write_xlsx(rows, out, kind)
    else:
        write_with_xlsxwriter(rows, out, kind)


def compare(a: str, b: str) -> dict[str, Any]:
    import openpyxl

    first = openpyxl.load_workbook(a, read_only=True).active
    second = openpyxl.load_workbook(b, read_only=True).active
    rows = differ = 0
    for x, y in zip(
        first.iter_rows(values_only=True), second.iter_rows(values_only=True), strict=True
    ):
        rows += 1
        differ += tuple(x) != tuple(y)
    return {"rows": rows, "differing_rows": differ, "dimension": [first.max_row, second.max_row]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="ai_readiness_bench")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--xlsxwriter-path", default="")
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(*args.one)
        return
    env = common.app_env(db=args.db, redis_db=9)
    if args.xlsxwriter_path:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (args.xlsxwriter_path, env.get("PYTHONPATH", "")) if p
        )
    out_dir = common.WORK / "xlsx_writers"
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    for kind in KINDS:
        for writer in WRITERS:
            path = out_dir / f"{kind}-{writer}.xlsx"
            runs = []
            for _ in range(args.repeat):
                path.unlink(missing_ok=True)
                command = [common.PY, "-m", "bench.xlsx_writers", "--one", writer, kind, str(path)]
                measure = [common.PY, "-m", "bench.exports", "--measure", str(args.timeout)]
                result = common.run_json(
                    [*measure, "--", *command],
                    env=env,
                    timeout=args.timeout + 60,
                    what=f"{kind} {writer}",
                )
                if result["code"] != 0:
                    log(f"{kind} {writer} failed: {result['error'][-500:]}")
                    break
                runs.append(result)
            if not runs:
                continue
            seconds = [r["seconds"] for r in runs]
            cpu = [r["cpu_s"] for r in runs]
            peak = max(r["peak_mb"] for r in runs)
            results[f"{kind} {writer}"] = {
                "seconds": seconds,
                "median_s": statistics.median(seconds),
                "cpu_s": cpu,
                "median_cpu_s": statistics.median(cpu),
                "peak_mb": peak,
                "file_mb": path.stat().st_size / 1024 / 1024,
            }
            log(
                f"{kind} {writer}: {min(seconds):.1f}–{max(seconds):.1f} s "
                f"(median {statistics.median(seconds):.1f}; CPU {min(cpu):.1f}–{max(cpu):.1f} s), "
                f"peak {peak:.0f} MB, {path.stat().st_size / 1024 / 1024:.1f} MB"
            )
        if args.compare and all((out_dir / f"{kind}-{w}.xlsx").exists() for w in WRITERS):
            results[f"{kind} same cells"] = compare(
                str(out_dir / f"{kind}-own.xlsx"), str(out_dir / f"{kind}-xlsxwriter.xlsx")
            )
            log(f"{kind}: {results[f'{kind} same cells']}")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
