"""Options shared by several commands; each also reads ``VENVSTACKS_<OPTION>``.

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

F = TypeVar("F", bound=Callable[..., Any])


def _compose(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


spec_argument = click.argument(
    "spec_path",
    required=False,
    default="venvstacks.toml",
    envvar="VENVSTACKS_SPEC",
    metavar="[SPEC]",
)


def _more_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    state = ctx.find_object(_state_type())
    if value and state is not None:
        state.verbosity = max(state.verbosity, 0) + value


def _quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    state = ctx.find_object(_state_type())
    if value and state is not None:
        state.verbosity = -1


def _state_type() -> type[Any]:
    from venvstacks.cli.app import CliState

    return CliState


build_options = _compose(
    click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_more_verbose,
        help="More output (repeat for more).",
    ),
    click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_quiet,
        help="Only print errors and results.",
    ),
    click.option(
        "--build-dir",
        default=DEFAULT_BUILD_DIR_NAME,
        envvar="VENVSTACKS_BUILD_DIR",
        show_default=True,
        help="Folder for layer environments (relative to the spec's folder).",
    ),
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
        help="Extra folder of wheels to install from (repeatable).",
    ),
    click.option(
        "--uv-cache-dir",
        envvar="VENVSTACKS_UV_CACHE_DIR",
        metavar="DIR",
        help="uv cache folder (default: uv's own).",
    ),
    click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=1),
        envvar="VENVSTACKS_JOBS",
        help="Layers to process at the same time (default: number of CPUs).",
    ),
)

selection_options = _compose(
    click.option(
        "--include",
        multiple=True,
        envvar="VENVSTACKS_INCLUDE",
        metavar="PATTERN",
        help="Only these layers: a glob on env names, e.g. 'app-*' (repeatable).",
    ),
    click.option(
        "--allow-missing",
        is_flag=True,
        envvar="VENVSTACKS_ALLOW_MISSING",
        help="Accept --include patterns that match no layer.",
    ),
    click.option(
        "--include-dependencies",
        is_flag=True,
        envvar="VENVSTACKS_INCLUDE_DEPENDENCIES",
        help="Also select the layers the included layers run on.",
    ),
)


def selection(params: dict[str, Any]) -> dict[str, Any]:
    """The layer selection keywords of engine calls, from parsed parameters."""
    return {
        "allow_missing": params["allow_missing"],
        "with_lower": params["include_dependencies"],
    }


force_option = click.option(
    "--force",
    is_flag=True,
    envvar="VENVSTACKS_FORCE",
    help="Write even layers whose inputs did not change.",
)
dry_run_option = click.option(
    "--dry-run",
    is_flag=True,
    envvar="VENVSTACKS_DRY_RUN",
    help="Show what would be written; write nothing.",
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


publish_options = _compose(
    output_dir_option("_artifacts", "archives and metadata"),
    click.option(
        "--format",
        type=click.Choice(["xz", "gz", "zst", "zip"]),
        default="xz",
        envvar="VENVSTACKS_FORMAT",
        show_default=True,
        help="Archive format: tar.xz (as the reference), tar.gz, tar.zst or zip.",
    ),
    click.option(
        "--tag-outputs",
        is_flag=True,
        envvar="VENVSTACKS_TAG_OUTPUTS",
        help="Name archives <layer>-<platform>-<build number> and tag metadata files.",
    ),
    force_option,
    dry_run_option,
)


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
    return EngineOptions(
        build_dir=location.resolve(params.get("build_dir") or DEFAULT_BUILD_DIR_NAME),
        runtime_source=runtime_source(params.get("runtime_source") or "auto"),
        local_wheels=tuple(location.resolve(p) for p in params.get("local_wheels") or ()),
        index=bool(params.get("index", True)),
        uv_cache_dir=Path(os.path.abspath(cache)) if cache else None,
        jobs=params.get("jobs"),
    )
