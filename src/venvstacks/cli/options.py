"""The command-line options, each also read from ``VENVSTACKS_<OPTION>``.

Every option of the reference venvstacks 0.8 is here with its meaning, and every
boolean flag has its ``--no-…`` form as in the reference. Options are grouped by what
they are about, so a command takes the groups that mean something for it; to add an
option, add it to the group (or define it next to the command that alone uses it).

Relative ``--build-dir``, ``--output-dir`` and ``--local-wheels`` paths are relative to
the folder holding the spec file, as in the reference venvstacks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import rich_click as click

from venvstacks.engine.build_folder import DEFAULT_BUILD_DIR_NAME
from venvstacks.engine.options import RUNTIME_SOURCES, EngineOptions, runtime_source
from venvstacks.engine.selection import SelectionRequest
from venvstacks.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])


def compose(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """One decorator applying several, in reading order."""

    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


def env_name(dest: str) -> str:
    """The environment variable an option is also read from."""
    return "VENVSTACKS_" + dest.upper()


def flag(name: str, help_text: str, *, dest: str | None = None) -> Callable[[F], F]:
    """A ``--name/--no-name`` boolean option (default off), also ``VENVSTACKS_NAME``."""
    dest = dest or name.replace("-", "_")
    return click.option(
        f"--{name}/--no-{name}",
        dest,
        default=False,
        envvar=env_name(dest),
        help=help_text,
    )


spec_argument = click.argument(
    "spec",
    required=False,
    default="venvstacks.toml",
    envvar="VENVSTACKS_SPEC",
    metavar="[SPEC]",
    help="The stack file (TOML), or a folder holding venvstacks.toml. "
    "Default: ./venvstacks.toml.",
)
#: The epilog of every command.
SPEC_HELP = (
    "Every option can also be set as VENVSTACKS_<OPTION> (for example "
    "VENVSTACKS_BUILD_DIR, VENVSTACKS_INCLUDE='app-* framework-x', "
    "VENVSTACKS_ALLOW_MISSING=1); the command line wins. Exit codes: see "
    "'venvstacks --help'."
)


@dataclass
class OutputLevel:
    """How much a command prints (the CLI's state object extends this)."""

    verbosity: int = 0


def _more_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    state = ctx.find_object(OutputLevel)
    if value and state is not None:
        state.verbosity = max(state.verbosity, 0) + value


def _quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    state = ctx.find_object(OutputLevel)
    if value and state is not None:
        state.verbosity = -1


def _jobs(_ctx: click.Context, _param: click.Parameter, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise click.BadParameter(
            f"{value!r} is not a whole number of at least 1 "
            "(from -j/--jobs or VENVSTACKS_JOBS)"
        )
    return jobs


output_control = compose(
    click.option(
        "-v",
        "--verbose",
        count=True,
        metavar="",
        expose_value=False,
        callback=_more_verbose,
        help="More output (repeat: -vv shows uv's output).",
    ),
    click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_quiet,
        help="Only print errors and results.",
    ),
)

build_dir_option = click.option(
    "--build-dir",
    default=DEFAULT_BUILD_DIR_NAME,
    envvar="VENVSTACKS_BUILD_DIR",
    show_default=True,
    help="Folder for layer environments (relative to the spec's folder).",
)

jobs_option = click.option(
    "-j",
    "--jobs",
    callback=_jobs,
    envvar="VENVSTACKS_JOBS",
    metavar="N",
    help="Layers to process at the same time (default: number of CPUs).",
)

#: What locking and building need: where runtimes and packages come from.
package_sources = compose(
    click.option(
        "--runtime-source",
        type=click.Choice(RUNTIME_SOURCES),
        default="auto",
        envvar="VENVSTACKS_RUNTIME_SOURCE",
        show_default=True,
        help="Where runtime layers come from: an installed CPython (local), a "
        "python-build-standalone download, or local when one matches (auto).",
    ),
    click.option(
        "--index/--no-index",
        default=True,
        envvar="VENVSTACKS_INDEX",
        help="Query the configured package indexes (default) or only local wheels.",
    ),
    click.option(
        "--local-wheels",
        multiple=True,
        envvar="VENVSTACKS_LOCAL_WHEELS",
        metavar="DIR",
        help="Extra folder of wheels (relative to the spec's folder; repeatable).",
    ),
    click.option(
        "--uv-cache-dir",
        envvar="VENVSTACKS_UV_CACHE_DIR",
        metavar="DIR",
        help="uv cache folder (default: uv's own).",
    ),
)

# -- run control (issue 9: one run at a time per folder) --------------------------
wait_option = click.option(
    "--wait/--no-wait",
    default=True,
    envvar="VENVSTACKS_WAIT",
    help="When another venvstacks command is using the build or output folder, wait "
    "for it (default) or fail at once (--no-wait).",
)
allow_stale_lower_option = flag(
    "allow-stale-lower",
    "Build, publish or export the selected layers even when layers below them (not "
    "selected) are not built or not current: a warning instead of an error.",
)
# ------------------------------------------------------------------------------------

#: Options of every command that lock, build or publish.
base_options = compose(output_control, build_dir_option, wait_option)

include_options = compose(
    click.option(
        "--include",
        multiple=True,
        envvar="VENVSTACKS_INCLUDE",
        metavar="PATTERN",
        help="Only these layers: a glob on env names, e.g. 'app-*' (repeatable). "
        "Default: every layer.",
    ),
    flag(
        "allow-missing",
        "Warn about --include / --reset-lock patterns that match no layer "
        "instead of failing.",
    ),
)

reset_lock_option = click.option(
    "--reset-lock",
    multiple=True,
    envvar="VENVSTACKS_RESET_LOCK",
    metavar="PATTERN",
    help="Discard the kept pins of matching layers and resolve them afresh, when they "
    "are locked (a glob on env names; repeatable).",
)

include_dependencies_option = click.option(
    "--include-dependencies/--no-include-dependencies",
    default=None,
    envvar="VENVSTACKS_INCLUDE_DEPENDENCIES",
    help="Every step also handles the layers the included layers run on "
    "(sets each --*-dependencies option).",
)

lock_dependencies_option = flag(
    "lock-dependencies",
    "Also relock the layers the included layers run on (otherwise they are locked "
    "only if their lock is missing or stale).",
)
publish_dependencies_option = flag(
    "publish-dependencies", "Also publish the layers the included layers run on."
)
publish_derived_option = flag(
    "publish-derived", "Also publish the layers built on the included layers."
)

show_options = compose(
    flag("show", "Print the selected layers and their operations, then go on."),
    flag(
        "show-only",
        "Only print the selected layers and their operations; do nothing else.",
    ),
    flag(
        "json",
        "Print the selection as JSON (without --show, nothing else is done).",
    ),
)

force_option = flag("force", "Write even layers whose inputs did not change.")
dry_run_option = flag("dry-run", "List what would be written; write nothing.")
tag_outputs_option = flag(
    "tag-outputs",
    "Name archives <layer>-<platform>-<build number> and tag metadata files.",
)


def output_dir_option(default: str, what: str) -> Callable[[F], F]:
    """``--output-dir`` with a default folder name beside the spec."""
    return click.option(
        "--output-dir",
        default=default,
        envvar="VENVSTACKS_OUTPUT_DIR",
        show_default=True,
        help=f"Folder for {what} (relative to the spec's folder).",
    )


format_option = click.option(
    "--format",
    type=click.Choice(["xz", "gz", "zst", "zip"]),
    default="xz",
    envvar="VENVSTACKS_FORMAT",
    show_default=True,
    help="Archive format: tar.xz (as the reference), tar.gz, tar.zst or zip.",
)

# Owned by the speed work (issue #11): precompiled bytecode in archives.
bytecode_option = click.option(
    "--bytecode/--no-bytecode",
    "bytecode",
    default=None,
    envvar="VENVSTACKS_BYTECODE",
    help="Ship precompiled hash-based .pyc files in every layer, so deployments "
    "start fast even where Python cannot write bytecode [default: on].",
)


def selection_request(params: dict[str, Any], **steps: Any) -> SelectionRequest:
    """The engine's selection request from parsed options plus a command's steps.

    ``--include-dependencies`` (tri-state) overrides each ``--*-dependencies`` flag.
    """
    values: dict[str, Any] = {
        "include": tuple(params.get("include") or ()),
        "reset_lock": tuple(params.get("reset_lock") or ()),
        "allow_missing": bool(params.get("allow_missing")),
    }
    for key in (
        "lock_dependencies",
        "build_dependencies",
        "publish_dependencies",
        "build_derived",
        "publish_derived",
    ):
        values[key] = bool(params.get(key))
    together = params.get("include_dependencies")
    if together is not None:
        for key in ("lock_dependencies", "build_dependencies", "publish_dependencies"):
            values[key] = together
    values.update(steps)
    return SelectionRequest(**values)


@dataclass(frozen=True)
class SpecLocation:
    """The spec file and the folder relative option paths start from."""

    path: Path

    @classmethod
    def from_argument(cls, spec_path: str) -> SpecLocation:
        """Resolve the SPEC argument (a file, or a folder holding venvstacks.toml)."""
        path = Path(os.path.abspath(spec_path))
        if path.is_dir():
            path = path / "venvstacks.toml"
        return cls(path)

    def resolve(self, value: str | os.PathLike[str]) -> Path:
        """A user-given path, relative ones taken from the spec's folder."""
        return Path(os.path.normpath(self.path.parent / os.path.expanduser(value)))


def engine_options(location: SpecLocation, params: dict[str, Any]) -> EngineOptions:
    """EngineOptions from the parsed command-line parameters."""
    cache = params.get("uv_cache_dir")
    jobs = params.get("jobs")
    if jobs is not None and not isinstance(jobs, int):  # pragma: no cover - callback
        raise UsageError(f"bad --jobs value {jobs!r}")
    return EngineOptions(
        build_dir=location.resolve(params.get("build_dir") or DEFAULT_BUILD_DIR_NAME),
        runtime_source=runtime_source(params.get("runtime_source") or "auto"),
        local_wheels=tuple(location.resolve(p) for p in params.get("local_wheels") or ()),
        index=bool(params.get("index", True)),
        uv_cache_dir=Path(os.path.abspath(cache)) if cache else None,
        jobs=jobs,
        wait=bool(params.get("wait", True)),
        allow_stale_lower=bool(params.get("allow_stale_lower", False)),
    )
