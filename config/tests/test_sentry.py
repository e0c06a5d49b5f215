"""The error-reporting hook: off by default, and its scrubber (a pure function)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

from config.sentry import FILTERED, scrub

ANSWER_NOTE = "We pilot an LLM on customer complaints; budget HK$2m, board not yet told"
COMMENT = "Please explain the drop in headcount"


def event() -> dict:
    return {
        "level": "error",
        "message": "Saving failed for alice.chan@member-co.com.hk",
        "request": {
            "url": "https://ai-readiness.example.org/assessments/12/step/2/",
            "method": "POST",
            "data": {"item-P1-level": "3", "item-P1-note": ANSWER_NOTE},
            "query_string": "email=bob@example.org",
            "cookies": {"sessionid": "abc", "csrftoken": "def"},
            "headers": {
                "Cookie": "sessionid=abc",
                "Authorization": "Token xyz",
                "User-Agent": "Firefox",
                "X-Request-ID": "r-12345678",
            },
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"id": 7, "email": "alice.chan@member-co.com.hk", "username": "Alice Chan"},
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": "Key (email)=(carol@example.com) already exists.",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "answers_save",
                                "module": "assessments.services",
                                "vars": {"note": ANSWER_NOTE, "answers": {"P1": 3}},
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {
                    "category": "query",
                    "message": 'UPDATE "assessments_answer" SET "note" = %s',
                    "data": {"params": [ANSWER_NOTE]},
                },
                {"category": "django", "message": "comment by dave@example.net saved"},
            ]
        },
        "extra": {
            "answers": {"P1": 3},
            "review_comment": COMMENT,
            "notes": [ANSWER_NOTE],
            "report_id": 5,
            "contact_email": "erin@example.org",
        },
    }


def test_the_scrubbed_event_holds_no_answer_note_comment_address_or_body():
    original = event()
    scrubbed = scrub(copy.deepcopy(original), {})
    text = json.dumps(scrubbed)
    for secret in (ANSWER_NOTE, COMMENT, "@", "sessionid", "Token xyz", "203.0.113.9"):
        assert secret not in text, secret
    assert scrubbed["request"]["data"] == FILTERED
    assert scrubbed["user"] == {"id": 7}


def test_what_an_operator_needs_to_find_the_fault_stays():
    scrubbed = scrub(event(), None)
    assert scrubbed["level"] == "error"
    assert scrubbed["request"]["url"].endswith("/assessments/12/step/2/")
    assert scrubbed["request"]["method"] == "POST"
    assert scrubbed["request"]["headers"]["X-Request-ID"] == "r-12345678"
    exception = scrubbed["exception"]["values"][0]
    assert exception["type"] == "IntegrityError"
    assert exception["value"] == f"Key (email)=({FILTERED}) already exists."
    assert exception["stacktrace"]["frames"][0]["function"] == "answers_save"
    assert scrubbed["extra"]["report_id"] == 5
    assert scrubbed["breadcrumbs"]["values"][0]["message"].startswith("UPDATE")
    assert scrubbed["message"] == f"Saving failed for {FILTERED}"


def test_the_scrubber_takes_odd_events():
    assert scrub({}, None) == {}
    assert scrub({"request": None, "exception": {"values": None}}, None)["request"] is None
    assert scrub({"extra": {"list": [("a@b.co", 1)]}}, None) == {"extra": {"list": [[FILTERED, 1]]}}


def test_error_reporting_is_off_without_a_dsn():
    code = (
        "import django; django.setup(); import sentry_sdk; "
        "print(sentry_sdk.get_client().is_active())"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x"}
    env.pop("SENTRY_DSN", None)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_error_reporting_is_on_with_a_dsn_and_uses_the_scrubber():
    code = (
        "import django; django.setup(); import sentry_sdk; c = sentry_sdk.get_client(); "
        "print(c.is_active(), c.options['before_send'].__module__, "
        "c.options['data_collection']['http_bodies'], c.options['data_collection']['user_info'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "x",
        # Nothing listens there, and no event is sent: the client is only built.
        "SENTRY_DSN": "http://public@127.0.0.1:9/1",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "True config.sentry [] False"
