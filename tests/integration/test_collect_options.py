"""The --venvstacks collector without building: ids, selection, options, errors.

Real pytest runs (no uv): marked integration to keep the unit suite fast."""

from __future__ import annotations

import pytest

from tests.integration.stacks import SMALL_FILES, SMALL_SPEC

pytestmark = pytest.mark.integration


@pytest.fixture
def small(pytester: pytest.Pytester) -> pytest.Pytester:
    stack = pytester.path / "small"
    stack.mkdir()
    (stack / "venvstacks.toml").write_text(SMALL_SPEC)
    for name, text in SMALL_FILES.items():
        (stack / name).write_text(text)
    pytester.makepyfile(test_other="def test_other():\n    pass\n")
    pytester.makeini("[pytest]\ntestpaths = test_other.py\n")
    return pytester


def collected(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if "::" in line]


def test_item_ids_name_stack_layer_and_check(small: pytest.Pytester) -> None:
    result = small.runpytest("--venvstacks", "small", "--collect-only", "-q")
    ids = collected(result)
    assert "small/venvstacks.toml::rt::imports" in ids
    assert "small/venvstacks.toml::app-app::launch" in ids
    assert "small/venvstacks.toml::framework-fw::launch" not in ids
    assert len(ids) == 3 * 7 + 1
    # --venvstacks without paths replaces testpaths: only the stack is collected.
    assert not any(i.startswith("test_other.py") for i in ids)


def test_keyword_selection_and_check_options(small: pytest.Pytester) -> None:
    result = small.runpytest(
        "--venvstacks",
        "small/venvstacks.toml",
        "--collect-only",
        "-q",
        "-k",
        "app-app and imports",
    )
    assert collected(result) == ["small/venvstacks.toml::app-app::imports"]
    only = small.runpytest(
        "--venvstacks",
        "small",
        "--collect-only",
        "-q",
        "--venvstacks-checks",
        "lock,dynlib",
    )
    assert {i.rsplit("::", 1)[1] for i in collected(only)} == {"lock", "dynlib"}
    skip = small.runpytest(
        "--venvstacks", "small", "--collect-only", "-q", "--venvstacks-skip-checks", "lock"
    )
    assert not any(i.endswith("::lock") for i in collected(skip))
    bad = small.runpytest("--venvstacks", "small", "--venvstacks-checks", "nope")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown venvstacks check(s): nope" in bad.stderr.str()


def test_explicit_paths_and_ini_key_add_the_stack(small: pytest.Pytester) -> None:
    both = small.runpytest("test_other.py", "--venvstacks", "small", "--collect-only", "-q")
    ids = collected(both)
    assert "test_other.py::test_other" in ids and "small/venvstacks.toml::rt::lock" in ids
    small.makeini("[pytest]\ntestpaths = test_other.py\nvenvstacks_specs = small\n")
    from_ini = collected(small.runpytest("--collect-only", "-q"))
    assert "test_other.py::test_other" in from_ini
    assert "small/venvstacks.toml::rt::lock" in from_ini


def test_spec_errors_are_one_paragraph(small: pytest.Pytester) -> None:
    (small.path / "small" / "venvstacks.toml").write_text(
        SMALL_SPEC.replace('runtime = "rt"', 'runtime = "nope"')
    )
    result = small.runpytest("--venvstacks", "small")
    text = result.stdout.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "spec error" in text and "nope" in text
    assert "Traceback" not in text


def test_missing_stack_is_a_usage_error(small: pytest.Pytester) -> None:
    result = small.runpytest("--venvstacks", "nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "no stack spec" in result.stderr.str()
