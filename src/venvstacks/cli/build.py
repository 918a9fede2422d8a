"""``venvstacks build``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rich_click as click

from venvstacks.cli.app import CliState, cli, pass_state
from venvstacks.cli.options import (
    SPEC_HELP,
    SpecLocation,
    allow_stale_lower_option,
    base_options,
    bytecode_option,
    compose,
    dry_run_option,
    flag,
    force_option,
    format_option,
    include_dependencies_option,
    include_options,
    jobs_option,
    lock_dependencies_option,
    output_dir_option,
    package_sources,
    publish_dependencies_option,
    publish_derived_option,
    reset_lock_option,
    show_options,
    spec_argument,
    tag_outputs_option,
)
from venvstacks.cli.publish import publish_with
from venvstacks.cli.summary import print_build_report, print_publish_report
from venvstacks.engine.results import BuildReport, PublishReport


@dataclass(frozen=True)
class _BuildResult:
    build: BuildReport
    publish: PublishReport | None


_steps = compose(
    flag("clean", "Remove existing layer environments and build them from scratch."),
    click.option(
        "--lock-if-needed/--no-lock-if-needed",
        "--lock/--no-lock",
        "lock_if_needed",
        default=False,
        envvar="VENVSTACKS_LOCK_IF_NEEDED",
        help="Relock layers whose lock is missing or stale before building "
        "(--lock is the reference's older name).",
    ),
    click.option(
        "--build/--no-build",
        "build_step",
        default=True,
        envvar="VENVSTACKS_BUILD",
        help="Build layer environments (default; --no-build only locks and publishes).",
    ),
    flag(
        "publish",
        "Publish the built layers afterwards (see 'venvstacks publish').",
        dest="and_publish",
    ),
)

_related = compose(
    lock_dependencies_option,
    flag(
        "build-dependencies",
        "Also rebuild the layers the included layers run on (otherwise they are "
        "built only if missing or stale).",
    ),
    publish_dependencies_option,
    include_dependencies_option,
    flag("build-derived", "Also build the layers built on the included layers."),
    publish_derived_option,
)


@cli.command(epilog=SPEC_HELP)
@spec_argument
@base_options
@package_sources
@jobs_option
@_steps
@include_options
@allow_stale_lower_option
@reset_lock_option
@_related
@output_dir_option("_artifacts", "archives and metadata")
@format_option
@bytecode_option
@tag_outputs_option
@force_option
@dry_run_option
@show_options
@pass_state
def build(state: CliState, /, spec: str, **params: Any) -> None:
    """Build layer environments from their locks (only what changed).

    With --include, the layers the included ones run on are locked and built
    where missing or stale; --build-derived adds the layers built on them.
    """
    output = SpecLocation.from_argument(spec).resolve(params["output_dir"])
    steps = {
        "lock": None if params["lock_if_needed"] else False,
        "build": params["build_step"],
        "publish": params["and_publish"],
    }

    def action(stack: Any, plan: Any) -> _BuildResult:
        built = stack.build(clean=params["clean"], plan=plan)
        published = None
        if params["and_publish"]:
            force = params["force"] or params["clean"]
            published = publish_with(stack, output, {**params, "force": force}, plan)
        return _BuildResult(built, published)

    def render(result: _BuildResult) -> None:
        print_build_report(state, result.build)
        if result.publish is not None:
            print_publish_report(state, result.publish)

    state.run_selected(spec, params, steps, action, render)
