"""``venvstacks build``."""

from __future__ import annotations

from typing import Any

import rich_click as click

from venvstacks.cli.app import CliState, cli, pass_state
from venvstacks.cli.options import build_options, selection_options, spec_argument
from venvstacks.cli.summary import print_build_report


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
@pass_state
def build(state: CliState, /, spec_path: str, **params: Any) -> None:
    """Build layer environments from their locks (only what changed)."""
    state.run(
        spec_path,
        params,
        lambda stack: stack.build(
            params["include"],
            lock_if_needed=params["lock_if_needed"],
            clean=params["clean"],
            allow_missing=params["allow_missing"],
            with_lower=params["include_dependencies"],
        ),
        lambda report: print_build_report(state, report),
    )
