"""Printing the stack status: ``show``, and ``--show`` / ``--show-only`` / ``--json``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.markup import escape

if TYPE_CHECKING:
    from rich.tree import Tree

    from venvstacks.cli.app import CliState

_GROUPS = (
    ("Runtimes", "runtimes"),
    ("Frameworks", "frameworks"),
    ("Applications", "applications"),
)


def print_status(
    state: CliState,
    stack: Any,
    plan: Any,
    *,
    as_json: bool,
    report_ops: bool = True,
    include_deps: bool = False,
) -> None:
    """Print the selected layers (and their operations) as a tree or as JSON."""
    from venvstacks.engine.inspect import stack_status

    status = stack_status(stack, plan, report_ops=report_ops, include_deps=include_deps)
    if as_json:
        text = json.dumps(status, indent=2, sort_keys=True)
        state.out.print(text, markup=False, highlight=False, soft_wrap=True)
        return
    tree, if_needed = status_tree(status)
    state.out.print(tree, soft_wrap=True)
    if if_needed:
        state.out.print(
            "Lower layers locked or built only where missing or stale: "
            + ", ".join(if_needed),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def layer_line(entry: dict[str, Any]) -> str:
    """``[*]name[ -> deployed][ (operations)]``: ``*`` marks a lock that needs work."""
    text = "" if entry["has_valid_lock"] else "*"
    text += entry["name"]
    if entry["install_target"] != entry["name"]:
        text += f" -> {entry['install_target']}"
    operations = entry.get("selected_operations")
    if operations:
        text += f" ({', '.join(operations)})"
    return str(text)


def _only_if_needed(entry: dict[str, Any]) -> bool:
    operations: list[str] = entry.get("selected_operations") or []
    return bool(operations) and all(op.endswith("-if-needed") for op in operations)


def status_tree(status: dict[str, Any]) -> tuple[Tree, list[str]]:
    """The reference's tree: the spec, then each kind of layer with its layers.

    Layers that are only locked or built *if needed* (the lower layers of the
    selected ones) are left out of the tree and returned as a list of lines instead,
    so the tree shows exactly the layers the command works on.
    """
    from rich.tree import Tree

    tree = Tree(escape(status["spec_name"]))
    if_needed: list[str] = []
    for label, key in _GROUPS:
        branch = tree.add(label)
        for entry in status[key]:
            if _only_if_needed(entry):
                if_needed.append(layer_line(entry))
                continue
            line = escape(layer_line(entry))
            if entry.get("selected_operations") is None and "lock" in entry:
                built = "built" if entry.get("built") else "not built"
                if not entry.get("builds_here", True):
                    built = "not built for this platform"
                lock = entry["lock"]
                state = lock["state"]
                if state not in ("valid", "disabled"):
                    state += f" - {lock['reason']}"
                line += f"  [dim]\\[lock: {escape(state)}; {built}][/]"
            layer = branch.add(line)
            for lower in entry.get("dependencies", ()):
                layer.add(escape(layer_line(lower)))
    return tree, if_needed
