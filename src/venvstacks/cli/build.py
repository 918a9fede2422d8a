"""``venvstacks build``."""

from __future__ import annotations

import contextlib
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
from venvstacks.cli.summary import (
    nothing_to_do_text,
    print_build_report,
    print_publish_report,
)
from venvstacks.engine.results import BuildReport, PublishReport
from venvstacks.errors import VenvStacksError


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


#: Options after which a build's output is more than its one-line summary, or after
#: which the next identical run is not a no-op.
_NOT_MEMOISED = ("show", "show_only", "json", "and_publish", "dry_run", "clean")


def _remember_nothing_to_do(
    state: CliState, params: dict[str, Any], stack: Any, plan: Any, report: BuildReport
) -> None:
    """Let the engine memoise "nothing to do" for the next identical command.

    Only when this command was started by ``main()`` (which looked for a memo), the
    build succeeded printing nothing but its summary and "built" lines, no lock was
    made or checked with uv, and no option changes what the next run prints or does
    (see :mod:`venvstacks.engine.noop_memo`).
    """
    from venvstacks.cli.render import RichReporter
    from venvstacks.engine.noop_memo import started

    invocation = started()
    if invocation is None or state.verbosity > 0 or not params["build_step"]:
        return
    if any(params.get(name) for name in _NOT_MEMOISED):
        return
    if stack.spec.warnings or plan.warnings:
        return
    if not isinstance(stack.reporter, RichReporter) or stack.reporter.remarks:
        return
    if report.locks is not None and any(
        r.outcome != "skipped" for r in report.locks.layers
    ):
        return
    current = sum(1 for r in report.layers if r.outcome in ("built", "unchanged"))
    # A memo is only a shortcut: the build itself succeeded, whatever happens here.
    with contextlib.suppress(OSError, ValueError, VenvStacksError):
        stack.record_noop_memo(plan, invocation, nothing_to_do_text(current) + "\n")


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
        else:
            _remember_nothing_to_do(state, params, stack, plan, built)
        return _BuildResult(built, published)

    def render(result: _BuildResult) -> None:
        print_build_report(state, result.build)
        if result.publish is not None:
            print_publish_report(state, result.publish)

    state.run_selected(spec, params, steps, action, render)
