"""``venvstacks show``."""

from __future__ import annotations

import json
from typing import Any

import rich_click as click
from rich.markup import escape

from venvstacks.cli.app import CliState, cli, pass_state
from venvstacks.cli.options import build_options, selection_options, spec_argument

_LOCK_STYLE = {"valid": "green", "stale": "yellow", "modified": "yellow", "missing": "red"}


@cli.command()
@spec_argument
@build_options
@selection_options
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    envvar="VENVSTACKS_JSON",
    help="Print the description as JSON.",
)
@pass_state
def show(state: CliState, /, spec_path: str, as_json: bool, **params: Any) -> None:
    """Show the stack's layers with their lock and build state."""
    from venvstacks.engine.inspect import describe_stack

    def render(info: dict[str, Any]) -> None:
        if as_json:
            print(json.dumps(info, indent=2, sort_keys=True))
            return
        _print_table(state, info)

    state.run(
        spec_path,
        params,
        lambda stack: describe_stack(stack, stack_patterns(stack, params)),
        render,
    )


def stack_patterns(stack: Any, params: dict[str, Any]) -> list[str]:
    """The include patterns, expanded with lower layers when asked."""
    include = list(params.get("include") or ())
    if include and params.get("include_dependencies"):
        return [x.env_name for x in stack.select(include, with_lower=True)]
    return include


def _print_table(state: CliState, info: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=escape(info["spec"]), title_justify="left")
    for column in ("layer", "kind", "deployed as", "runs on", "lock", "built"):
        table.add_column(column)
    for layer in info["layers"]:
        lock = layer["lock"]
        style = _LOCK_STYLE.get(lock["state"], "dim")
        runs_on = ", ".join(layer.get("lower_layers", [])) or layer.get(
            "python_implementation", ""
        )
        if not layer["builds_here"]:
            runs_on += " (not built here)"
        table.add_row(
            escape(layer["env_name"]),
            layer["kind"],
            escape(layer["install_target"]),
            escape(runs_on),
            f"[{style}]{lock['state']}[/]",
            "yes" if layer["built"] else "no",
        )
    state.out.print(table)
