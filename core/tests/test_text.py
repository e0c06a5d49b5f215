from __future__ import annotations

from django.utils import translation

from core.text import list_join


def test_lists_are_joined_as_each_language_writes_them():
    with translation.override("en"):
        assert list_join(["Contact name", "Phone"]) == "Contact name, Phone"
    with translation.override("zh-hant"):
        assert list_join(["聯絡人", "電話"]) == "聯絡人、電話"
    assert list_join([]) == ""
