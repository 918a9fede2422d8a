"""``venvstacks show``."""

from __future__ import annotations

from typing import Any

from venvstacks.cli.app import CliState, cli, pass_state
from venvstacks.cli.options import (
    SPEC_HELP,
    base_options,
    flag,
    include_options,
    selection_request,
    spec_argument,
)
from venvstacks.cli.status import print_status


@cli.command(epilog=SPEC_HELP)
@spec_argument
@base_options
@include_options
@flag("json", "Print the stack status as JSON (the reference's structure).")
@pass_state
def show(state: CliState, /, spec: str, **params: Any) -> None:
    """Show the stack's layers, whether their locks are valid, and what depends on what.

    With --include, the matching layers are shown with the layers they run on and
    the layers built on them. A * before a name marks a lock that needs relocking.
    """

    def action(stack: Any) -> None:
        plan = stack.plan(
            selection_request(
                params,
                lock=True,
                lock_dependencies=bool(params["include"]),
                steps=frozenset({"lock"}),
            )
        )
        for warning in plan.warnings:
            state.console.print(f"[yellow]warning: {warning}[/]", highlight=False)
        print_status(
            state, stack, plan, as_json=params["json"], report_ops=False, include_deps=True
        )

    state.run(spec, params, action, lambda _result: None)
