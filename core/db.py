"""SQLite stand-in for PostgreSQL's percentile_cont, so the quick start computes peer
statistics inside the database exactly as production does."""

from __future__ import annotations

import math
from typing import Any

from django.db.backends.signals import connection_created


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as SQL percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _PercentileAggregate:
    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: Any, fraction: float) -> None:
        self.fraction = float(fraction)
        if value is not None:
            self.values.append(float(value))

    def finalize(self) -> float | None:
        return percentile_cont(self.values, self.fraction)


def _register(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("percentile_cont_py", 2, _PercentileAggregate)


def install() -> None:
    connection_created.connect(_register, dispatch_uid="core.percentile_cont_py")
