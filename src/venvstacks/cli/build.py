"""``venvstacks build``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rich_click as click

from venvstacks.cli.app import CliState, cli, pass_state
from venvstacks.cli.options import (
    SpecLocation,
    build_options,
    publish_options,
    selection,
    selection_options,
    spec_argument,
)
from venvstacks.cli.publish import publish_with
from venvstacks.cli.summary import print_build_report, print_publish_report
from venvstacks.engine.results import BuildReport, PublishReport


@dataclass(frozen=True)
class _BuildResult:
    build: BuildReport
    publish: PublishReport | None


@cli.command()
@spec_argument
@build_options
@selection_options
@click.option(
    "--lock-if-needed",
    "--lock",
    "lock_if_needed",
    is_flag=True,
    envvar="VENVSTACKS_LOCK_IF_NEEDED",
    help="Relock layers whose lock is missing or stale before building.",
)
@click.option(
    "--clean",
    is_flag=True,
    envvar="VENVSTACKS_CLEAN",
    help="Remove existing layer environments and build them from scratch.",
)
@click.option(
    "--publish",
    "and_publish",
    is_flag=True,
    envvar="VENVSTACKS_PUBLISH",
    help="Publish the built layers afterwards (see 'venvstacks publish').",
)
@publish_options
@pass_state
def build(state: CliState, /, spec_path: str, **params: Any) -> None:
    """Build layer environments from their locks (only what changed)."""
    output = SpecLocation.from_argument(spec_path).resolve(params["output_dir"])

    def action(stack: Any) -> _BuildResult:
        built = stack.build(
            params["include"],
            lock_if_needed=params["lock_if_needed"],
            clean=params["clean"],
            **selection(params),
        )
        published = publish_with(stack, output, params) if params["and_publish"] else None
        return _BuildResult(built, published)

    def render(result: _BuildResult) -> None:
        print_build_report(state, result.build)
        if result.publish is not None:
            print_publish_report(state, result.publish)

    state.run(spec_path, params, action, render)
