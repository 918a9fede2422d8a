"""The code stays typed (mypy --strict), linted and formatted (ruff)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.integration


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_mypy_strict() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_lint_and_format() -> None:
    lint = run("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run("ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_modules_stay_small() -> None:
    big = [
        f"{path.relative_to(ROOT)} ({lines} lines)"
        for path in sorted(
            [*ROOT.glob("src/**/*.py"), *ROOT.glob("pytest_venvstacks/*.py")]
        )
        if (lines := len(path.read_text().splitlines())) > 500
    ]
    assert big == []
