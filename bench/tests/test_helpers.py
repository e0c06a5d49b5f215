"""The benchmark's own pure helpers: reading forms, statistics, rewriting doc sections."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from bench.client import Session, form_html, form_values, percentile, radio_groups
from bench.common import Row, replace_marked, table_markdown, write_under_heading
from bench.run import dashboard_rows

PAGE = """
<form method="post" action="/i18n/setlang/"><input type="hidden" name="next" value="/">
<select name="language"><option value="en" selected>English</option></select></form>
<form method="post" novalidate id="step-form">
<input type="hidden" name="csrfmiddlewaretoken" value="tok&amp;en">
<input type="radio" name="a__value" value="1" id="x1">
<input type="radio" name="a__value" value="2" id="x2" checked>
<input type="radio" name="a__value" value="dk" id="x3">
<textarea name="a__note" rows="2">said &quot;hi&quot;</textarea>
<select name="a__confidence"><option value="">Not stated</option>
<option value="high" selected>High</option></select>
<input type="hidden" name="a__base" value="3" id="b">
<input type="checkbox" name="f__dk" id="c">
<input type="number" name="f__value" value="12.5">
<button name="go" value="next" type="submit">Next</button>
</form>
"""


def test_form_values_are_what_a_browser_submits_for_the_chosen_form():
    form = form_html(PAGE, 'id="step-form"')
    assert form_values(form) == [
        ("csrfmiddlewaretoken", "tok&en"),
        ("a__value", "2"),
        ("a__base", "3"),
        ("f__value", "12.5"),
        ("a__note", 'said "hi"'),
        ("a__confidence", "high"),
    ]
    assert radio_groups(form) == {"a__value": ["1", "2", "dk"]}


def test_percentile_interpolates_between_ranks():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.5
    assert round(percentile(values, 95), 2) == 95.05
    assert percentile([7.0], 95) == 7.0


def test_session_keeps_and_drops_cookies():
    session = Session("127.0.0.1", 18000)
    session._set_cookie("sessionid=abc; HttpOnly; Path=/")
    session._set_cookie("csrftoken=xyz; Path=/")
    session._set_cookie('sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0')
    assert session.cookies == {"csrftoken": "xyz"}


def test_a_refused_connection_is_an_http_error():
    import pytest

    from bench.client import HttpError

    # In a thread of its own: Playwright's sync API may keep an event loop in this one.
    with ThreadPoolExecutor(1) as pool, pytest.raises(HttpError):
        pool.submit(asyncio.run, Session("127.0.0.1", 1).request("GET", "/", timeout=2)).result()


def test_marked_section_and_heading_section_are_rewritten_alone(tmp_path):
    assert replace_marked("a <!-- x:start -->old<!-- x:end --> b", "x", "new") == (
        "a <!-- x:start -->\nnew\n<!-- x:end --> b"
    )
    assert replace_marked("no markers", "x", "new") is None
    doc = tmp_path / "SECURITY.md"
    doc.write_text("# S\n\n```sh\n# not a heading\n```\n\n## Load\n\nTODO\n\n## Next\n\nkeep\n")
    assert write_under_heading(doc, "Load", "load", "first")
    assert write_under_heading(doc, "Load", "load", "second")
    text = doc.read_text()
    assert "TODO" not in text and "first" not in text
    assert "<!-- load:start -->\nsecond\n<!-- load:end -->" in text
    assert text.endswith("## Next\n\nkeep\n") and "# not a heading" in text
    assert not write_under_heading(tmp_path / "missing.md", "Load", "load", "x")


def test_dashboard_rows_are_read_from_its_table():
    out = (
        "issuers  generate s  what                     median ms  p95 ms  queries  ≤300 ms\n"
        "   2600       120.5  dashboard: all, by code        200     265       10      met\n"
        "   2600           -  peer benchmarks (one snapshot)   45      77        1  NOT met\n"
    )
    rows = dashboard_rows(out)
    assert [(r.figure, r.target, r.ok) for r in rows] == [
        ("dashboard: all, by code", "median ≤ 300 ms", True),
        ("peer benchmarks (one snapshot)", "median ≤ 30 ms", False),
    ]
    assert "|" in table_markdown([Row("a", "b|c", "1")]).splitlines()[-1]
