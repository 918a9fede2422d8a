"""The bad-spec corpus: every case fails with one precise, one-line SpecError.

Each folder under ``tests/data/bad_specs`` holds a ``venvstacks.toml`` (plus whatever
launch modules or ``venvstacks.uv.toml`` it needs) and an ``expected.toml`` with:

* ``message``: a substring the error paragraph must contain,
* ``layer``: the expected ``SpecError.layer`` (absent when no layer is involved),
* ``field``: the expected ``SpecError.field`` (absent when no key is involved).

The cases are also run through ``venvstacks show`` (a representative subset by default,
see ``CLI_SUBSET``) to check that the CLI prints exactly that paragraph, without a
traceback, and exits with status 3.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from venvstacks.errors import SpecError
from venvstacks.spec import load_stack_spec

BAD_SPECS = Path(__file__).parents[1] / "data" / "bad_specs"
CASES = sorted(p.name for p in BAD_SPECS.iterdir() if (p / "expected.toml").is_file())

#: Each CLI check is a subprocess (~0.3 s), so by default only a representative subset
#: (one or two cases per kind of check) goes through the CLI; every case is still loaded
#: in-process. Set VENVSTACKS_TEST_ALL_CLI=1 to run every case through the CLI as well.
CLI_SUBSET = (
    "toml-syntax-error",
    "not-utf8",
    "deeply-nested-arrays",
    "empty-document",
    "unknown-top-level-key-with-newline",
    "unknown-layer-key-requirement",
    "requirement-entry-integer",
    "bad-requirement-syntax",
    "runtime-reserved-prefix-app",
    "unknown-runtime-reference",
    "framework-cycle",
    "c3-linearisation-conflict",
    "missing-launch-module",
    "support-launch-module-name-clash",
    "platforms-not-supported-by-lower-layers",
    "python-3-x",
    "uv-sources-unknown-index",
    "inconsistent-indexes-between-frameworks",
    "side-file-bad-toml",
)
CLI_CASES = CASES if os.environ.get("VENVSTACKS_TEST_ALL_CLI") else CLI_SUBSET


@dataclass(frozen=True)
class Expected:
    message: str
    layer: str | None
    field: str | None


def expected_for(case: str) -> Expected:
    data = tomllib.loads((BAD_SPECS / case / "expected.toml").read_text("utf-8"))
    unknown = set(data) - {"message", "layer", "field"}
    assert not unknown, f"{case}/expected.toml has unknown keys {unknown}"
    return Expected(data["message"], data.get("layer"), data.get("field"))


def load_error(case: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_stack_spec(BAD_SPECS / case / "venvstacks.toml")
    assert type(info.value) is SpecError
    return info.value


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert set(CLI_CASES) <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_bad_spec(case: str) -> None:
    expected = expected_for(case)
    error = load_error(case)
    paragraph = error.paragraph()
    assert expected.message in paragraph
    assert error.layer == expected.layer
    assert error.field == expected.field
    assert paragraph.startswith("spec error")
    assert len(paragraph.splitlines()) == 1, paragraph
    assert str(error) == paragraph
    # The traceback of the original failure (TOML, packaging, OS) is not chained in.
    assert error.__cause__ is None


@pytest.mark.parametrize("case", CASES)
def test_bad_spec_is_found_from_its_folder(case: str) -> None:
    with pytest.raises(SpecError) as info:
        load_stack_spec(BAD_SPECS / case)
    assert info.value.paragraph() == load_error(case).paragraph()


def _run_show(case: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}
    env.pop("VENVSTACKS_PLUGINS", None)
    return subprocess.run(
        [sys.executable, "-m", "venvstacks", "show", f"{case}/venvstacks.toml"],
        cwd=BAD_SPECS,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def cli_results(
    request: pytest.FixtureRequest,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run ``venvstacks show`` for the selected cases, a few processes at a time."""
    selected = [
        item.callspec.params["case"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_cli_prints_the_paragraph"
    ]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        return dict(zip(selected, pool.map(_run_show, selected), strict=True))


@pytest.mark.parametrize("case", CLI_CASES)
def test_cli_prints_the_paragraph(
    case: str, cli_results: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    result = cli_results[case]
    paragraph = load_error(case).paragraph()
    assert "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    assert paragraph in result.stderr, result.stderr
    assert result.returncode == 3, result.stderr
