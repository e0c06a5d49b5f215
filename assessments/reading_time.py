"""How long a step takes, estimated from the framework's own words.

Shown on the landing page (the whole questionnaire) and on each step. A stopwatch on one
person would measure that person; the text is the same for everyone, so the estimate reads
every word a respondent must read (question, help, each level or option) at an ordinary
reading speed and adds a fixed time to decide and click per question:

- English at 238 words a minute, Chinese at 260 characters a minute: the averages for
  silent reading of non-fiction in Brysbaert (2019), "How many words do we read per
  minute?", Journal of Memory and Language 109;
- 15 seconds per question to choose (and, for a figure, to look it up: 60 seconds);
- the company profile: PROFILE_MINUTES (eight fields a company secretary knows by heart).

Pure and cached per framework version: the step page calls it on every request.
"""

from __future__ import annotations

import math
import re

from .framework import Framework, ItemDef, Shift, Text

WORDS_PER_MINUTE = 238
CJK_CHARS_PER_MINUTE = 260
DECIDE_SECONDS = 15
FIGURE_SECONDS = 60  # a figure is looked up, not recalled
PROFILE_MINUTES = 3

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_cache: dict[tuple[str, str, str], int] = {}


def _reading_seconds(text: str, zh: bool) -> float:
    if zh:
        return 60 * len(_CJK.findall(text)) / CJK_CHARS_PER_MINUTE
    return 60 * len(text.split()) / WORDS_PER_MINUTE


def _texts(item: ItemDef) -> list[Text]:
    texts = [item.text, *item.levels, *(o.label for o in item.options)]
    if item.help:
        texts.append(item.help)
    return texts


def item_seconds(item: ItemDef, language: str) -> float:
    zh = language.lower().startswith("zh")
    reading = sum(_reading_seconds(t.get(language), zh) for t in _texts(item))
    deciding = FIGURE_SECONDS if item.unit is not None else DECIDE_SECONDS
    return reading + deciding


def step_minutes(fw: Framework, shift: Shift, language: str) -> int:
    """Whole minutes, rounded up, for one shift's step in `language`."""
    key = (fw.version, shift.code, language)
    if key not in _cache:
        seconds = sum(item_seconds(i, language) for i in shift.items)
        _cache[key] = max(1, math.ceil(seconds / 60))
    return _cache[key]


def total_minutes(fw: Framework, language: str) -> int:
    """The profile and every step, in whole minutes."""
    return PROFILE_MINUTES + sum(step_minutes(fw, s, language) for s in fw.shifts)
