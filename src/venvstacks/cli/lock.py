"""``venvstacks lock``."""

from __future__ import annotations

from typing import Any

from venvstacks.cli.app import CliState, cli, pass_state
from venvstacks.cli.options import (
    SPEC_HELP,
    base_options,
    flag,
    include_dependencies_option,
    include_options,
    jobs_option,
    lock_dependencies_option,
    package_sources,
    reset_lock_option,
    show_options,
    spec_argument,
)
from venvstacks.cli.summary import print_lock_report


@cli.command(epilog=SPEC_HELP)
@spec_argument
@base_options
@package_sources
@jobs_option
@include_options
@reset_lock_option
@lock_dependencies_option
@include_dependencies_option
@flag("if-needed", "Keep layer locks that are still valid instead of relocking them.")
@flag("clean", "Remove the layers' lock working folders before locking.")
@show_options
@pass_state
def lock(state: CliState, /, spec: str, **params: Any) -> None:
    """Lock every layer's packages, lower layers first.

    Each layer's pins go to requirements/<env>/ beside the spec. Relocking keeps
    existing pins unless --reset-lock names the layer. With --include, the layers
    built on the included ones are relocked too, and the layers they run on are
    locked if their lock is missing or stale.
    """
    state.run_selected(
        spec,
        params,
        {"lock": None if params["if_needed"] else True, "steps": frozenset({"lock"})},
        lambda stack, plan: stack.lock(plan=plan, clean=params["clean"]),
        lambda report: print_lock_report(state, report),
    )
