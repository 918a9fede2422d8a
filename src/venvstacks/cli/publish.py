"""``venvstacks publish`` and ``venvstacks local-export``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from venvstacks.cli.app import CliState, cli, pass_state
from venvstacks.cli.options import (
    SpecLocation,
    build_options,
    dry_run_option,
    force_option,
    output_dir_option,
    publish_options,
    selection,
    selection_options,
    spec_argument,
)
from venvstacks.cli.summary import print_publish_report
from venvstacks.engine.results import PublishReport


def publish_with(stack: Any, output: Path, params: dict[str, Any]) -> PublishReport:
    """Call ``stack.publish`` with the publishing options of a command."""
    report: PublishReport = stack.publish(
        output,
        params["include"],
        fmt=params["format"],
        tag_outputs=params["tag_outputs"],
        force=params["force"],
        dry_run=params["dry_run"],
        **selection(params),
    )
    return report


@cli.command()
@spec_argument
@build_options
@selection_options
@publish_options
@pass_state
def publish(state: CliState, /, spec_path: str, **params: Any) -> None:
    """Archive built layers, one reproducible archive per layer, with metadata.

    Archives and __venvstacks__/ metadata go to --output-dir (default _artifacts beside
    the spec). Layers whose inputs did not change keep their archive.
    """
    output = SpecLocation.from_argument(spec_path).resolve(params["output_dir"])
    state.run(
        spec_path,
        params,
        lambda stack: publish_with(stack, output, params),
        lambda report: print_publish_report(state, report),
    )


@cli.command("local-export")
@spec_argument
@build_options
@selection_options
@output_dir_option("_export", "the exported layer folders")
@force_option
@dry_run_option
@pass_state
def local_export(state: CliState, /, spec_path: str, **params: Any) -> None:
    """Export built layers as folders that run in place (hard links where possible)."""
    output = SpecLocation.from_argument(spec_path).resolve(params["output_dir"])
    state.run(
        spec_path,
        params,
        lambda stack: stack.local_export(
            output,
            params["include"],
            force=params["force"],
            dry_run=params["dry_run"],
            **selection(params),
        ),
        lambda report: print_publish_report(state, report),
    )
