"""Worker warm-up: what requests would load lazily is loaded, then frozen for the GC."""

from __future__ import annotations

import gc

from config import warmup


def test_warm_up_compiles_the_project_templates_and_routes():
    compiled = warmup.warm_up()
    names = warmup._template_names()
    assert "assessments/step_shift.html" in names and "base.html" in names
    assert compiled >= len([n for n in names if not n.startswith(("admin/", "registration/"))])


def test_warm_up_and_freeze_moves_live_objects_out_of_the_collector():
    gc.unfreeze()
    try:
        warmup.warm_up_and_freeze()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_a_failing_warm_up_never_stops_the_worker(monkeypatch, caplog):
    def broken() -> int:
        raise RuntimeError("no templates today")

    monkeypatch.setattr(warmup, "warm_up", broken)
    gc.unfreeze()
    warmup.warm_up_and_freeze()
    assert gc.get_freeze_count() == 0
    assert "warm-up failed" in caplog.text
