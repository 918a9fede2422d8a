"""The ``venvstacks`` command group and what every command shares."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

import rich_click as click
from rich.console import Console

from venvstacks.cli.errors import exit_codes_text, guarded
from venvstacks.cli.options import OutputLevel, SpecLocation, engine_options
from venvstacks.cli.render import RichReporter
from venvstacks.version import tool_version

R = TypeVar("R")

click.rich_click.TEXT_MARKUP = "ansi"
click.rich_click.SHOW_ARGUMENTS = True
click.rich_click.MAX_WIDTH = 100

#: Width of output that goes to a file or a pipe (CI logs): wide enough that tables
#: and paths are never cut or wrapped inside a word.
PIPE_WIDTH = 1000


def _piped(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return not (isatty and isatty()) and "COLUMNS" not in os.environ


if _piped(sys.stdout):
    # Help text in a log: wrap at word boundaries in a wide column, never mid-word.
    click.rich_click.WIDTH = 140
    click.rich_click.MAX_WIDTH = 140


def make_console(*, stderr: bool = False) -> Console:
    """A rich console; when it writes to a file or pipe, lines are not wrapped."""
    console = Console(stderr=stderr)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        return Console(stderr=stderr, width=PIPE_WIDTH)
    return console


@dataclass
class CliState(OutputLevel):
    """Options of the ``venvstacks`` group, shared with its commands."""

    plugins: list[str] = field(default_factory=list)
    console: Console = field(default_factory=lambda: make_console(stderr=True))
    out: Console = field(default_factory=make_console)

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

    def run_selected(
        self,
        spec_path: str,
        params: dict[str, Any],
        steps: dict[str, Any],
        action: Callable[[Any, Any], R],
        render: Callable[[R], None],
    ) -> NoReturn:
        """Like :meth:`run`, with the layer selection of ``params`` and ``steps``.

        ``--show`` prints the selection first; ``--show-only`` (and ``--json``
        without ``--show``) print it and stop. ``action(stack, plan)`` does the work.
        """
        from venvstacks.cli.options import selection_request
        from venvstacks.cli.status import print_status

        stopped: list[bool] = []

        def staged(stack: Any) -> R | None:
            plan = stack.plan(selection_request(params, **steps))
            for warning in plan.warnings:
                self.console.print(f"[yellow]warning: {warning}[/]", highlight=False)
            show, show_only, as_json = (
                bool(params.get("show")),
                bool(params.get("show_only")),
                bool(params.get("json")),
            )
            if show or show_only or as_json:
                print_status(self, stack, plan, as_json=as_json)
                if show_only or (as_json and not show):
                    stopped.append(True)
                    return None
            return action(stack, plan)

        def render_unless_stopped(result: R | None) -> None:
            if not stopped:
                render(result)  # type: ignore[arg-type]

        self.run(spec_path, params, staged, render_unless_stopped)


pass_state = click.make_pass_decorator(CliState, ensure=True)


_EPILOG = (
    "Every option of a command can also be set as VENVSTACKS_<OPTION> (for example "
    "VENVSTACKS_RUNTIME_SOURCE=local, VENVSTACKS_JOBS=2); also VENVSTACKS_PLUGINS, "
    "VENVSTACKS_VERBOSE=N and VENVSTACKS_QUIET=1. VENVSTACKS_CACHE_DIR is the cache "
    "folder (prepared runtimes, no-op build memos); VENVSTACKS_NOOP_MEMO=0 makes a "
    "repeated no-op build decide again instead of using its memo. " + exit_codes_text()
)


#: Each command and the module defining it, imported only when the command is used
#: (or listed by --help), so a command loads only what it needs.
COMMAND_MODULES = {
    "build": "venvstacks.cli.build",
    "check": "venvstacks.cli.check",
    "local-export": "venvstacks.cli.publish",
    "lock": "venvstacks.cli.lock",
    "publish": "venvstacks.cli.publish",
    "show": "venvstacks.cli.show",
}


class LazyGroup(click.RichGroup):
    """A command group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, sorted (nothing is imported)."""
        return sorted({*super().list_commands(ctx), *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, importing the module that defines it if needed."""
        module = COMMAND_MODULES.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            try:
                importlib.import_module(module)
            except KeyboardInterrupt:  # as in main(): one line, exit status 130
                print("interrupted", file=sys.stderr)
                raise SystemExit(130) from None
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=_EPILOG,
)
@click.version_option(tool_version(), "-V", "--version", prog_name="venvstacks")
@click.option(
    "-v", "--verbose", count=True, metavar="", help="More output (repeat for more)."
)
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
