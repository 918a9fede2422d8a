"""``venvstacks lock``."""

from __future__ import annotations

from typing import Any

import rich_click as click

from venvstacks.cli.app import CliState, cli, pass_state
from venvstacks.cli.options import (
    build_options,
    selection,
    selection_options,
    spec_argument,
)
from venvstacks.cli.summary import print_lock_report


@cli.command()
@spec_argument
@build_options
@selection_options
@click.option(
    "--if-needed",
    is_flag=True,
    envvar="VENVSTACKS_IF_NEEDED",
    help="Keep layer locks that are still valid instead of relocking them.",
)
@click.option(
    "--reset-lock",
    multiple=True,
    envvar="VENVSTACKS_RESET_LOCK",
    metavar="PATTERN",
    help="Discard the kept pins of matching layers and resolve them afresh (repeatable).",
)
@pass_state
def lock(state: CliState, /, spec_path: str, **params: Any) -> None:
    """Lock every layer's packages, lower layers first.

    Each layer's pins go to requirements/<env>/ beside the spec. Relocking keeps
    existing pins unless --reset-lock names the layer.
    """
    state.run(
        spec_path,
        params,
        lambda stack: stack.lock(
            params["include"],
            if_needed=params["if_needed"],
            reset=params["reset_lock"],
            **selection(params),
        ),
        lambda report: print_lock_report(state, report),
    )
