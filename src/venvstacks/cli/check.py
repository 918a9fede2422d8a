"""``venvstacks check``: lock, build and publish a copy of the stack, check each layer."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import rich_click as click
from rich.markup import escape
from rich.table import Table

from venvstacks.checks import CHECK_NAMES
from venvstacks.checks.imports import DEFAULT_SKIP
from venvstacks.cli.app import CliState, cli, pass_state
from venvstacks.cli.errors import EXIT_CHECKS_FAILED, EXIT_OK, guarded
from venvstacks.cli.options import (
    SPEC_HELP,
    SpecLocation,
    engine_options,
    flag,
    include_options,
    jobs_option,
    output_control,
    package_sources,
    spec_argument,
)
from venvstacks.cli.render import RichReporter
from venvstacks.engine.checking import CheckOptions, CheckReport

_MARKS = {"passed": "[green]✓[/]", "failed": "[bold red]✗[/]", "skipped": "[dim]-[/]"}


def _names(value: str | None) -> list[str]:
    return [item for item in (value or "").replace(",", " ").split() if item]


@cli.command(epilog=SPEC_HELP)
@spec_argument
@output_control
@package_sources
@jobs_option
@include_options
@click.option(
    "--build-dir",
    envvar="VENVSTACKS_BUILD_DIR",
    metavar="DIR",
    help="Build layers here and keep them (relative to the spec's folder). "
    "Default: a temporary folder; the project's _build is not touched.",
)
@click.option(
    "--checks",
    envvar="VENVSTACKS_CHECKS",
    metavar="LIST",
    help=f"Comma-separated checks to run (default: all: {', '.join(CHECK_NAMES)}).",
)
@click.option(
    "--skip-checks",
    envvar="VENVSTACKS_SKIP_CHECKS",
    metavar="LIST",
    help="Checks not to run.",
)
@click.option(
    "--skip-modules",
    envvar="VENVSTACKS_SKIP_MODULES",
    metavar="LIST",
    help="Comma-separated module globs the imports check does not import.",
)
@flag("locked", "A missing or stale lock fails the lock check (for committed locks).")
@click.option(
    "--format",
    type=click.Choice(["xz", "gz", "zst", "zip"]),
    default="zst",
    envvar="VENVSTACKS_FORMAT",
    show_default=True,
    help="Archive format the archive checks use.",
)
@flag("json", "Print the results as JSON.")
@pass_state
def check(state: CliState, /, spec: str, **params: Any) -> None:
    """Check that every layer works where it is deployed.

    The project is copied to a temporary folder, locked (a missing or stale lock is
    made afresh there, unless --locked), built and published once; then every layer
    is checked: its modules and launch module import, its native libraries resolve,
    its sys.path stays inside the stack, its archive is reproducible, and it runs
    unpacked in a new folder and after that folder is moved. The same checks run as
    test items with 'pytest --venvstacks DIR'. Exit status 10 when a check failed.
    """
    from venvstacks.engine.checking import check_stack
    from venvstacks.plugins.manager import PluginManager, plugin_names_from_env

    location = SpecLocation.from_argument(spec)
    chosen = _names(params["checks"]) or list(CHECK_NAMES)
    unknown = sorted(set(chosen) - set(CHECK_NAMES))
    if unknown:
        raise click.BadParameter(
            f"unknown check(s): {', '.join(unknown)} (checks: {', '.join(CHECK_NAMES)})",
            param_hint="--checks",
        )
    skipped = set(_names(params["skip_checks"]))
    modules = tuple(_names(params["skip_modules"]))
    with RichReporter(state.console, state.verbosity) as reporter:

        def run() -> CheckReport:
            options = engine_options(location, params)
            if not params["build_dir"]:
                options = replace(options, build_dir=None)
            check_options = CheckOptions(
                checks=tuple(c for c in chosen if c not in skipped),
                locked=params["locked"],
                archive_format=params["format"],
                skip_modules=modules or DEFAULT_SKIP,
            )
            plugins = PluginManager([*plugin_names_from_env(), *state.plugins])
            return check_stack(
                location.path,
                options,
                check_options,
                include=tuple(params["include"]),
                skip=skipped,
                plugin_checks=not params["checks"],
                plugins=plugins,
                reporter=reporter,
            )

        code, report = guarded(state.console, run)
    if report is None:
        raise SystemExit(code)
    if params["json"]:
        state.out.print_json(json.dumps(_as_json(report)))
    else:
        _print(state, report)
    raise SystemExit(EXIT_OK if report.ok else EXIT_CHECKS_FAILED)


def _as_json(report: CheckReport) -> dict[str, Any]:
    return {
        "spec": str(report.spec_path),
        "layers": list(report.layers),
        "counts": report.counts(),
        "results": [r.as_json() for r in report.results.values()],
    }


def _print(state: CliState, report: CheckReport) -> None:
    checks = [c for c in CHECK_NAMES if any(k[1] == c for k in report.results)]
    table = Table(title=f"checks of {report.spec_path}", title_justify="left")
    table.add_column("layer")
    for name in checks:
        table.add_column(name, justify="center")
    for layer in report.layers:
        row = [layer]
        for name in checks:
            result = report.result(layer, name)
            row.append(_MARKS[result.status] if result else "")
        table.add_row(*row)
    state.out.print(table)
    for result in report.results.values():
        if result.status == "failed":
            state.out.print(
                f"[bold red]✗ {result.layer} {result.check}:[/] {escape(result.message)}",
                soft_wrap=True,
                highlight=False,
            )
            if state.verbosity > 0:
                for line in result.details:
                    state.out.print(f"    {escape(line)}", highlight=False)
    counts = report.counts()
    state.out.print(
        f"{len(report.layers)} layers x {len(checks)} checks: "
        + ", ".join(f"{n} {status}" for status, n in counts.items()),
        highlight=False,
    )
