"""SQL aggregates Django does not ship, usable from any app's queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, FloatField


class PercentileCont(Aggregate):
    """SQL percentile_cont (PostgreSQL); on SQLite a Python aggregate registered in db.py."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be within 0..1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        clone = self.copy()
        clone.template = "percentile_cont_py(%(expressions)s, %(fraction)s)"
        return super(PercentileCont, clone).as_sql(compiler, connection, **extra_context)
