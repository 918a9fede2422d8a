"""Every option of the reference venvstacks 0.8 CLI, on every command that has it.

One table lists the reference's options per command (read from its ``--help``); each
is run with ``--show-only`` (or, for ``show``, as it is), which loads the stack,
applies the selection rules and prints the selected layers, but touches nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from venvstacks.cli import cli

SAMPLE = Path(__file__).parents[1] / "data" / "good_specs" / "sample_project"

_FLAGS = {
    "show": ["allow-missing", "json"],
    "lock": [
        "clean",
        "if-needed",
        "index",
        "allow-missing",
        "lock-dependencies",
        "show",
        "show-only",
        "json",
    ],
    "build": [
        "clean",
        "lock-if-needed",
        "build",
        "publish",
        "index",
        "tag-outputs",
        "allow-missing",
        "lock-dependencies",
        "build-dependencies",
        "publish-dependencies",
        "include-dependencies",
        "build-derived",
        "publish-derived",
        "show",
        "show-only",
        "json",
        "lock",
    ],
    "publish": [
        "force",
        "dry-run",
        "tag-outputs",
        "allow-missing",
        "publish-dependencies",
        "publish-derived",
        "show",
        "show-only",
        "json",
    ],
    "local-export": [
        "force",
        "dry-run",
        "allow-missing",
        "publish-dependencies",
        "publish-derived",
        "show",
        "show-only",
        "json",
    ],
}
_VALUES = {
    "show": [["--build-dir", "elsewhere"], ["--include", "app-*"]],
    "lock": [
        ["--build-dir", "elsewhere"],
        ["--local-wheels", "wheels"],
        ["--include", "framework-*"],
        ["--reset-lock", "cpython-*"],
    ],
    "build": [
        ["--build-dir", "elsewhere"],
        ["--output-dir", "out"],
        ["--local-wheels", "wheels"],
        ["--include", "app-*"],
        ["--reset-lock", "app-*"],
    ],
    "publish": [
        ["--build-dir", "elsewhere"],
        ["--output-dir", "out"],
        ["--include", "framework-scipy"],
    ],
    "local-export": [
        ["--build-dir", "elsewhere"],
        ["--output-dir", "out"],
        ["--include", "framework-scipy"],
    ],
}


def _cases() -> list[Any]:
    cases = []
    for command, flags in _FLAGS.items():
        for name in flags:
            for form in (f"--{name}", f"--no-{name}"):
                cases.append(pytest.param(command, [form], id=f"{command} {form}"))
        for values in _VALUES[command]:
            cases.append(pytest.param(command, values, id=f"{command} {values[0]}"))
    return cases


REFERENCE_INVOCATIONS = _cases()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "sample"
    shutil.copytree(SAMPLE, folder)
    return folder


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.mark.parametrize(("command", "option"), REFERENCE_INVOCATIONS)
def test_reference_option_is_accepted_and_touches_nothing(
    sample: Path, command: str, option: list[str]
) -> None:
    before = listing(sample)
    tail = [] if command == "show" else ["--show-only"]
    result = run(command, str(sample), *option, *tail)
    assert result.exit_code == 0, result.output
    assert "framework-scipy" in result.output or "app-" in result.output
    assert listing(sample) == before


def test_table_covers_every_reference_command() -> None:
    assert set(_FLAGS) == {"show", "lock", "build", "publish", "local-export"}
    assert len(REFERENCE_INVOCATIONS) > 100


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("show", "--reset-lock"),
        ("show", "--show-only"),
        ("publish", "--lock-dependencies"),
        ("publish", "--build-derived"),
        ("local-export", "--tag-outputs"),
        ("lock", "--publish"),
        ("lock", "--build-derived"),
    ],
)
def test_options_that_mean_nothing_are_not_offered(command: str, option: str) -> None:
    result = CliRunner().invoke(cli, [command, option])
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_group_options() -> None:
    assert run("--version").exit_code == 0
    assert run("-V").exit_code == 0
    for args in (["-v", "-v", "show", "--help"], ["-q", "show", "--help"]):
        assert run(*args).exit_code == 0


def test_build_include_derived_show_only_lists_exactly_those(sample: Path) -> None:
    before = listing(sample)
    result = run(
        "build",
        str(sample),
        "--include",
        "framework-scipy",
        "--build-derived",
        "--show-only",
        "--clean",
    )
    assert result.exit_code == 0, result.output
    tree, _, rest = result.output.partition("Lower layers")
    for name in ("framework-scipy", "framework-sklearn", "app-scipy-import"):
        assert name in tree
    assert "app-scipy-client" in tree
    for name in ("cpython-3.12", "framework-http-client", "app-http-client"):
        assert name not in result.output
    # the runtime below is only locked / built if missing or stale
    assert "cpython-3.11" not in tree and "cpython-3.11" in rest
    assert listing(sample) == before


def test_json_alone_prints_the_selection_and_stops(sample: Path) -> None:
    result = run("build", str(sample), "--include", "app-scipy-import", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    by_name = {
        x["name"]: x
        for key in ("runtimes", "frameworks", "applications")
        for x in status[key]
    }
    assert by_name["app-scipy-import"]["selected_operations"] == ["build"]
    assert by_name["framework-scipy"]["selected_operations"] == [
        "lock-if-needed",
        "build-if-needed",
    ]
    assert "app-scipy-client" not in by_name


def test_show_with_json_continues(sample: Path) -> None:
    # --show --json prints the selection, then runs: the build fails on missing locks
    result = run("build", str(sample), "--include", "app-scipy-import", "--show", "--json")
    assert result.exit_code == 4
    assert '"selected_operations"' in result.output


@pytest.mark.parametrize("option", ["--include", "--reset-lock"])
def test_unmatched_patterns_are_usage_errors(sample: Path, option: str) -> None:
    result = run("lock", str(sample), option, "nothing-*", "--show-only")
    assert result.exit_code == 2
    assert f"{option} 'nothing-*' matches no layer" in result.output
    allowed = run(
        "lock", str(sample), option, "nothing-*", "--allow-missing", "--show-only"
    )
    assert allowed.exit_code == 0
    assert "warning" in allowed.output


def test_bad_jobs_variable_is_named(sample: Path) -> None:
    result = run("lock", str(sample), "--show-only", env={"VENVSTACKS_JOBS": "many"})
    assert result.exit_code == 2
    assert "VENVSTACKS_JOBS" in result.output


def test_boolean_options_read_environment_variables(sample: Path) -> None:
    env = {"VENVSTACKS_SHOW_ONLY": "1", "VENVSTACKS_BUILD_DERIVED": "true"}
    result = run("build", str(sample), "--include", "framework-sklearn", env=env)
    assert result.exit_code == 0, result.output
    assert "app-scipy-client" in result.output


def test_help_explains_spec_variables_and_exit_codes() -> None:
    top = run("--help").output
    assert "VENVSTACKS_" in top and "Exit codes" in top
    for command in _FLAGS:
        text = run(command, "--help").output
        assert "INTEGER RANGE" not in text
        assert "The stack file" in text
        assert "VENVSTACKS_" in text


def test_piped_output_is_not_cut(tmp_path: Path) -> None:
    """Long layer names survive a non-terminal stdout whole (CI logs)."""
    name = "a-framework-with-a-rather-long-name-that-would-not-fit-in-eighty-columns"
    (tmp_path / "venvstacks.toml").write_text(
        f"""
[[runtimes]]
name = "cpython-3.11"
python_implementation = "cpython@3.11"
requirements = []

[[frameworks]]
name = "{name}"
runtime = "cpython-3.11"
requirements = []
""",
        encoding="utf-8",
    )
    result = run("show", str(tmp_path))
    assert f"framework-{name}" in result.output


@pytest.mark.parametrize(
    "args",
    [
        [
            "build",
            "--include",
            "framework-scipy",
            "--build-derived",
            "--clean",
            "--show-only",
        ],
        ["lock", "--clean", "--reset-lock", "*", "--show-only"],
        ["publish", "--force", "--show-only"],
        ["local-export", "--force", "--json"],
    ],
)
def test_show_only_keeps_existing_folders(tmp_path: Path, args: list[str]) -> None:
    project = tmp_path / "sample"
    shutil.copytree(SAMPLE, project)
    for folder in ("_build/framework-scipy", "_build/_lock/framework-scipy", "_artifacts"):
        (project / folder).mkdir(parents=True)
        (project / folder / "keep.txt").write_text("x")
    before = listing(project)
    result = run(args[0], str(project), *args[1:])
    assert result.exit_code == 0, result.output
    assert listing(project) == before
