"""``venvstacks publish`` and ``venvstacks local-export``."""

from __future__ import annotations

from typing import Any

import rich_click as click

from venvstacks.cli.app import CliState, cli, pass_state
from venvstacks.cli.options import (
    SpecLocation,
    build_options,
    publish_options,
    selection_options,
    spec_argument,
)
from venvstacks.cli.summary import print_publish_report


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
        lambda stack: stack.publish(
            output,
            params["include"],
            fmt=params["format"],
            tag_outputs=params["tag_outputs"],
            force=params["force"],
            dry_run=params["dry_run"],
            allow_missing=params["allow_missing"],
            with_lower=params["include_dependencies"],
        ),
        lambda report: print_publish_report(state, report),
    )


@cli.command("local-export")
@spec_argument
@build_options
@selection_options
@click.option(
    "--output-dir",
    default="_export",
    envvar="VENVSTACKS_OUTPUT_DIR",
    show_default=True,
    help="Folder receiving the layer folders (relative to the spec's folder).",
)
@click.option(
    "--force",
    is_flag=True,
    envvar="VENVSTACKS_FORCE",
    help="Export even layers whose inputs did not change.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    envvar="VENVSTACKS_DRY_RUN",
    help="Show what would be exported; write nothing.",
)
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
            allow_missing=params["allow_missing"],
            with_lower=params["include_dependencies"],
        ),
        lambda report: print_publish_report(state, report),
    )
