"""The ``venvstacks`` command group and what every command shares."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

import rich_click as click
from rich.console import Console

from venvstacks.cli.errors import guarded
from venvstacks.cli.options import SpecLocation, engine_options
from venvstacks.cli.render import RichReporter
from venvstacks.version import tool_version

R = TypeVar("R")

click.rich_click.USE_MARKDOWN = False
click.rich_click.SHOW_ARGUMENTS = True
click.rich_click.MAX_WIDTH = 100


@dataclass
class CliState:
    """Options of the ``venvstacks`` group, shared with its commands."""

    verbosity: int = 0
    plugins: list[str] = field(default_factory=list)
    console: Console = field(default_factory=lambda: Console(stderr=True))
    out: Console = field(default_factory=Console)

    def run(
        self,
        spec_path: str,
        params: dict[str, Any],
        action: Callable[[Any], R],
        render: Callable[[R], None],
    ) -> NoReturn:
        """Load the stack, run ``action(stack)``, render its result, exit."""
        from venvstacks.engine.stack import Stack
        from venvstacks.plugins.manager import PluginManager, plugin_names_from_env

        location = SpecLocation.from_argument(spec_path)
        with RichReporter(self.console, self.verbosity) as reporter:

            def load_and_run() -> R:
                plugins = PluginManager([*plugin_names_from_env(), *self.plugins])
                stack = Stack.load(
                    location.path,
                    engine_options(location, params),
                    plugins=plugins,
                    reporter=reporter,
                )
                for warning in stack.spec.warnings:
                    self.console.print(f"[yellow]warning: {warning}[/]", highlight=False)
                return action(stack)

            code, result = guarded(self.console, load_and_run)
        if code == 0:
            render(result)  # type: ignore[arg-type]
        raise SystemExit(code)


pass_state = click.make_pass_decorator(CliState, ensure=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(tool_version(), "-V", "--version", prog_name="venvstacks")
@click.option("-v", "--verbose", count=True, help="More output (repeat for more).")
@click.option("-q", "--quiet", is_flag=True, help="Only print errors and results.")
@click.option(
    "-p",
    "--plugin",
    "plugins",
    multiple=True,
    metavar="MODULE",
    help="Load a plugin module (repeatable; also VENVSTACKS_PLUGINS).",
)
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, plugins: tuple[str, ...]) -> None:
    """Lock, build and publish layered Python environments that share big dependencies.

    A stack (venvstacks.toml) declares runtime layers (a Python), framework layers
    (shared packages) and application layers (a launch module run with python -m).
    """
    env_verbose = os.environ.get("VENVSTACKS_VERBOSE", "")
    if not verbose and env_verbose.isdigit():
        verbose = int(env_verbose)
    quiet = quiet or os.environ.get("VENVSTACKS_QUIET", "") not in ("", "0", "false")
    ctx.obj = CliState(verbosity=-1 if quiet else verbose, plugins=list(plugins))
