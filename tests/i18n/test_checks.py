"""The crawl's checks catch what they are for (and leave user data and marked text alone)."""

from __future__ import annotations

from .crawl import crawl, is_simplified, page_problems


def zh(body: str) -> str:
    return f'<html lang="zh-Hant-HK"><head><title>標題</title></head><body>{body}</body></html>'


def en(body: str) -> str:
    return f'<html lang="en"><head><title>Title</title></head><body>{body}</body></html>'


def test_english_ui_text_in_a_chinese_page_is_reported():
    assert page_problems(zh("<p>證據備註</p>"), data=(), expect_lang="zh") == []
    problems = page_problems(
        zh("<label>Evidence note (optional)</label>"), data=(), expect_lang="zh"
    )
    assert problems and "Evidence" in problems[0]
    assert page_problems(zh('<input type="submit" value="Save">'), data=(), expect_lang="zh")
    assert page_problems(zh('<button aria-label="Close">×</button>'), data=(), expect_lang="zh")


def test_user_data_acronyms_numbers_and_marked_text_are_not_ui_text():
    body = (
        "<td>Harbour Precision Holdings Limited</td><td>lead@example.org</td>"
        "<td>AI 就緒度 25.9% 2026-12-07</td><td>下載 PDF</td>"
        '<button lang="en">English</button><script>var x = "Saved";</script>'
        "<textarea>typed by the user</textarea>"
    )
    assert (
        page_problems(zh(body), data=("Harbour Precision Holdings Limited",), expect_lang="zh")
        == []
    )


def test_python_reprs_are_reported_in_both_languages():
    for page, lang in ((zh, "zh"), (en, "en")):
        for leak in (
            "Text(en='Profit', zh='利潤')",
            "<assessments.models.Answer object at 0x7f00>",
            "{'en': 'x'}",
            "[]",
        ):
            assert page_problems(
                page(f"<p>{leak.replace('<', '&lt;')}</p>"), data=(), expect_lang=lang
            )


def test_simplified_characters_are_reported_but_shared_ones_are_not():
    assert is_simplified("数") and is_simplified("这") and is_simplified("质")
    assert not any(is_simplified(c) for c in "數據質素台群准表了核您")
    assert page_problems(zh("<p>数据</p>"), data=(), expect_lang="zh")


def test_chinese_in_an_english_page_is_reported_unless_marked():
    assert page_problems(en("<p>已儲存</p>"), data=(), expect_lang="en")
    assert page_problems(en('<a lang="zh-Hant-HK">繁體中文</a>'), data=(), expect_lang="en") == []
    assert page_problems(en("<p>Hi</p>"), data=(), expect_lang="zh") != []  # wrong page language


def test_the_crawl_follows_same_site_links_once_and_skips_what_it_is_told():
    pages = {
        "/": zh('<a href="/a/">甲</a> <a href="/logout/">登出</a> <a href="https://x.org/">外</a>'),
        "/a/": zh(
            '<a href="/">首頁</a> <a href="/b/1/">乙</a>'
            ' <a href="/b/2/">乙</a> <a href="/b/3/">乙</a>'
        ),
        "/b/1/": zh("<p>Broken</p>"),
        "/b/2/": zh("<p>好</p>"),
        "/b/3/": zh("<p>好</p>"),
    }
    fetched = []

    def get(url):
        fetched.append(url)
        return 200, "text/html; charset=utf-8", pages[url]

    result = crawl(
        get,
        ["/"],
        skip=lambda u: "logout" in u,
        check=lambda url, html: page_problems(html, data=(), expect_lang="zh"),
    )
    assert fetched == ["/", "/a/", "/b/1/", "/b/2/"]  # two pages of one shape, no logout
    assert [line.split(":")[0] for line in result.report()] == ["/b/1/"]
