"""Deterministic sample data: a noisy straight line."""

from __future__ import annotations

import math


def measurements(count: int) -> dict[str, list[float]]:
    """``count`` points near y = 2x + 1, with a fixed, reproducible wobble."""
    xs = [float(i) for i in range(count)]
    ys = [2.0 * x + 1.0 + 0.5 * math.sin(3.7 * x) for x in xs]
    return {"x": xs, "y": ys}
