"""``venvstacks publish`` and ``venvstacks local-export``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from venvstacks.cli.app import CliState, cli, pass_state
from venvstacks.cli.options import (
    SPEC_HELP,
    SpecLocation,
    allow_stale_lower_option,
    base_options,
    bytecode_option,
    compose,
    dry_run_option,
    force_option,
    format_option,
    include_dependencies_option,
    include_options,
    jobs_option,
    output_dir_option,
    publish_dependencies_option,
    publish_derived_option,
    show_options,
    spec_argument,
    tag_outputs_option,
)
from venvstacks.cli.summary import print_publish_report
from venvstacks.engine.results import PublishReport

_PUBLISH_STEPS = {
    "lock": False,
    "build": False,
    "publish": True,
    "steps": frozenset({"publish"}),
}

_related = compose(
    publish_dependencies_option,
    publish_derived_option,
    include_dependencies_option,
)


def publish_with(
    stack: Any, output: Path, params: dict[str, Any], plan: Any
) -> PublishReport:
    """Call ``stack.publish`` with the publishing options of a command."""
    report: PublishReport = stack.publish(
        output,
        fmt=params["format"],
        tag_outputs=params["tag_outputs"],
        force=params["force"],
        dry_run=params["dry_run"],
        bytecode=params.get("bytecode"),
        plan=plan,
    )
    return report


@cli.command(epilog=SPEC_HELP)
@spec_argument
@base_options
@jobs_option
@include_options
@allow_stale_lower_option
@_related
@output_dir_option("_artifacts", "archives and metadata")
@format_option
@bytecode_option
@tag_outputs_option
@force_option
@dry_run_option
@show_options
@pass_state
def publish(state: CliState, /, spec: str, **params: Any) -> None:
    """Archive built layers, one reproducible archive per layer, with metadata.

    Archives and __venvstacks__/ metadata go to --output-dir (default _artifacts beside
    the spec). Layers whose inputs did not change keep their archive.
    """
    output = SpecLocation.from_argument(spec).resolve(params["output_dir"])
    state.run_selected(
        spec,
        params,
        _PUBLISH_STEPS,
        lambda stack, plan: publish_with(stack, output, params, plan),
        lambda report: print_publish_report(state, report),
    )


@cli.command("local-export", epilog=SPEC_HELP)
@spec_argument
@base_options
@jobs_option
@include_options
@allow_stale_lower_option
@_related
@output_dir_option("_export", "the exported layer folders")
@force_option
@dry_run_option
@show_options
@pass_state
def local_export(state: CliState, /, spec: str, **params: Any) -> None:
    """Export built layers as folders that run in place (hard links where possible)."""
    output = SpecLocation.from_argument(spec).resolve(params["output_dir"])
    state.run_selected(
        spec,
        params,
        _PUBLISH_STEPS,
        lambda stack, plan: stack.local_export(
            output, force=params["force"], dry_run=params["dry_run"], plan=plan
        ),
        lambda report: print_publish_report(state, report),
    )
