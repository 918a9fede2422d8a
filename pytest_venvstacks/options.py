"""Options and ini keys of ``pytest --venvstacks DIR`` (imports only pytest).

Every option that also exists on the ``venvstacks`` command line reads the same
``VENVSTACKS_*`` environment variable, with the same meaning, when it is not given
(``ENV_VARS`` lists them; a test keeps it in step with the CLI's own options).
Relative paths in these options are taken from the spec's folder, as in the CLI.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The built-in checks (also in ``venvstacks.checks.CHECK_NAMES``; a test compares).
CHECKS = (
    "lock",
    "build",
    "imports",
    "launch",
    "dynlib",
    "isolated",
    "reproducible",
    "relocatable",
)

#: pytest option destination -> the CLI's environment variable for the same setting.
ENV_VARS = {
    "venvstacks_include": "VENVSTACKS_INCLUDE",
    "venvstacks_local_wheels": "VENVSTACKS_LOCAL_WHEELS",
    "venvstacks_index": "VENVSTACKS_INDEX",
    "venvstacks_build_dir": "VENVSTACKS_BUILD_DIR",
    "venvstacks_jobs": "VENVSTACKS_JOBS",
    "venvstacks_format": "VENVSTACKS_FORMAT",
    "venvstacks_uv_cache_dir": "VENVSTACKS_UV_CACHE_DIR",
}

_FALSE = ("0", "false", "no", "off", "f", "n")


def add_collector_options(parser: pytest.Parser) -> None:
    """Register ``--venvstacks`` and its companions (and their ini keys)."""
    group = parser.getgroup("venvstacks")
    group.addoption(
        "--venvstacks",
        action="append",
        default=[],
        metavar="DIR",
        help="Check every layer of the stack in DIR (a folder or a venvstacks.toml); "
        "repeatable. Without test paths on the command line only the stacks are checked.",
    )
    group.addoption(
        "--venvstacks-checks",
        metavar="LIST",
        help=f"Comma-separated checks to run (default: all: {', '.join(CHECKS)}).",
    )
    group.addoption(
        "--venvstacks-skip-checks",
        metavar="LIST",
        help="Comma-separated checks not to run.",
    )
    group.addoption(
        "--venvstacks-locked",
        action="store_true",
        default=None,
        help="A missing or stale lock fails the 'lock' check (projects committing locks).",
    )
    group.addoption(
        "--venvstacks-skip-modules",
        metavar="LIST",
        help="Comma-separated module globs the 'imports' check does not import.",
    )
    group.addoption(
        "--venvstacks-include",
        action="append",
        default=[],
        metavar="PATTERN",
        help="Only check these layers (glob on env names; repeatable; "
        "$VENVSTACKS_INCLUDE).",
    )
    group.addoption(
        "--venvstacks-local-wheels",
        action="append",
        default=[],
        metavar="DIR",
        help="Extra folder of wheels (repeatable; $VENVSTACKS_LOCAL_WHEELS).",
    )
    group.addoption(
        "--venvstacks-no-index",
        dest="venvstacks_index",
        action="store_false",
        default=None,
        help="Do not query package indexes ($VENVSTACKS_INDEX=0).",
    )
    group.addoption(
        "--venvstacks-build-dir",
        metavar="DIR",
        help="Build layers here and keep them (default: a temporary folder; "
        "$VENVSTACKS_BUILD_DIR).",
    )
    group.addoption(
        "--venvstacks-jobs",
        type=int,
        metavar="N",
        help="Layers at once ($VENVSTACKS_JOBS).",
    )
    group.addoption(
        "--venvstacks-format",
        metavar="FORMAT",
        help="Archive format for the archive checks (default zst; $VENVSTACKS_FORMAT).",
    )
    group.addoption(
        "--venvstacks-plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="Load a venvstacks plugin module (repeatable; also $VENVSTACKS_PLUGINS and "
        "the 'venvstacks' entry points, as in the CLI).",
    )
    parser.addini("venvstacks_specs", "Stacks to check (folders or spec files).", "paths")
    parser.addini("venvstacks_checks", "Checks to run (default: all).", "args")
    parser.addini("venvstacks_skip_checks", "Checks not to run.", "args")
    parser.addini(
        "venvstacks_locked", "Fail the lock check on missing/stale locks.", "bool"
    )
    parser.addini("venvstacks_skip_modules", "Module globs not imported.", "args")
    parser.addini("venvstacks_format", "Archive format of the archive checks.", "string")


def _split(value: str | None) -> list[str]:
    return [item for item in (value or "").replace(",", " ").split() if item]


@dataclass(frozen=True)
class CollectorSettings:
    """Everything the collector needs from the command line, ini file and environment."""

    checks: tuple[str, ...]
    skip_checks: tuple[str, ...]
    plugin_checks: bool
    locked: bool
    skip_modules: tuple[str, ...] | None
    include: tuple[str, ...]
    local_wheels: tuple[str, ...]
    index: bool
    build_dir: str | None
    jobs: int | None
    archive_format: str
    uv_cache_dir: str | None
    runtime_source: str
    plugins: tuple[str, ...]

    @classmethod
    def from_config(cls, config: pytest.Config) -> CollectorSettings:
        """Read the settings (option, then ini key, then environment, then default)."""
        option = config.getoption
        env = os.environ
        checks = _split(option("venvstacks_checks")) or list(
            config.getini("venvstacks_checks")
        )
        unknown = sorted(set(checks) - set(CHECKS))
        skip = _split(option("venvstacks_skip_checks")) or list(
            config.getini("venvstacks_skip_checks")
        )
        if unknown:
            raise pytest.UsageError(
                f"unknown venvstacks check(s): {', '.join(unknown)} "
                f"(checks: {', '.join(CHECKS)})"
            )
        chosen = tuple(c for c in CHECKS if (not checks or c in checks) and c not in skip)
        locked = option("venvstacks_locked")
        modules = _split(option("venvstacks_skip_modules")) or list(
            config.getini("venvstacks_skip_modules")
        )
        index = option("venvstacks_index")
        if index is None:
            index = env.get(ENV_VARS["venvstacks_index"], "1").strip().lower() not in _FALSE
        jobs = option("venvstacks_jobs") or env.get(ENV_VARS["venvstacks_jobs"])
        return cls(
            checks=chosen,
            skip_checks=tuple(skip),
            plugin_checks=not checks,
            locked=bool(
                locked if locked is not None else config.getini("venvstacks_locked")
            ),
            skip_modules=tuple(modules) or None,
            include=tuple(
                option("venvstacks_include")
                or _split(env.get(ENV_VARS["venvstacks_include"]))
            ),
            local_wheels=tuple(
                option("venvstacks_local_wheels")
                or _split(env.get(ENV_VARS["venvstacks_local_wheels"]))
            ),
            index=bool(index),
            build_dir=option("venvstacks_build_dir")
            or env.get(ENV_VARS["venvstacks_build_dir"]),
            jobs=int(jobs) if jobs else None,
            archive_format=option("venvstacks_format")
            or config.getini("venvstacks_format")
            or env.get(ENV_VARS["venvstacks_format"])
            or "zst",
            uv_cache_dir=option("venvstacks_uv_cache")
            or env.get(ENV_VARS["venvstacks_uv_cache_dir"]),
            runtime_source=str(option("venvstacks_runtime_source")),
            plugins=tuple(option("venvstacks_plugin")),
        )


def spec_paths(config: pytest.Config) -> tuple[list[Path], list[Path]]:
    """(specs named on the command line, specs named in the ini file), resolved."""

    def resolve(value: str | os.PathLike[str], base: Path) -> Path:
        path = Path(os.path.abspath(base / os.path.expanduser(value)))
        if path.is_dir():
            path = path / "venvstacks.toml"
        if not path.is_file():
            raise pytest.UsageError(f"--venvstacks {value}: no stack spec at {path}")
        return path

    invocation = config.invocation_params.dir
    given = [resolve(value, invocation) for value in config.getoption("venvstacks") or ()]
    from_ini = [resolve(value, invocation) for value in config.getini("venvstacks_specs")]
    return given, from_ini
