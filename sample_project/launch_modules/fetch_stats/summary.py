"""The numeric side: describe a sample and fit a line through it with scipy."""

from __future__ import annotations

from scipy import stats


def summarise(xs: list[float], ys: list[float]) -> list[tuple[str, str]]:
    """(statistic, value) rows describing the sample and its linear fit."""
    described = stats.describe(ys)
    fit = stats.linregress(xs, ys)
    return [
        ("points", str(described.nobs)),
        ("mean", f"{described.mean:.3f}"),
        ("variance", f"{described.variance:.3f}"),
        ("fitted line", f"y = {fit.slope:.3f} x + {fit.intercept:.3f}"),
        ("correlation", f"{fit.rvalue:.4f}"),
    ]
