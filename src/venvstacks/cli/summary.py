"""One-paragraph summaries of command results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from venvstacks.cli.app import CliState
from venvstacks.engine.results import BuildReport, LockReport, PublishReport


def _counts(outcomes: Sequence[str]) -> str:
    counts = Counter(outcomes)
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))


def print_lock_report(state: CliState, report: LockReport) -> None:
    """Summarise a lock run."""
    if not report.layers:
        state.out.print("No layers selected.")
        return
    outcomes = [r.outcome for r in report.layers]
    if not report.changed:
        state.out.print(
            f"Locks unchanged: {len(outcomes)} layer(s) checked ({_counts(outcomes)}).",
            highlight=False,
        )
        return
    state.out.print(
        f"Locked {len(outcomes)} layer(s): {_counts(outcomes)}.", highlight=False
    )


def nothing_to_do_text(count: int) -> str:
    """What a build with nothing to do prints (also kept in its no-op memo)."""
    return f"Nothing to do: all {count} layer(s) are up to date."


def print_build_report(state: CliState, report: BuildReport) -> None:
    """Summarise a build run."""
    outcomes = [r.outcome for r in report.layers]
    if report.nothing_to_do:
        built = sum(1 for o in outcomes if o == "unchanged")
        state.out.print(nothing_to_do_text(built), highlight=False)
        return
    lock_part = ""
    if report.locks is not None and report.locks.changed:
        lock_part = f" (relocked {len(report.locks.changed)})"
    state.out.print(f"Build finished{lock_part}: {_counts(outcomes)}.", highlight=False)


def print_publish_report(state: CliState, report: PublishReport) -> None:
    """List what publish or local-export wrote (or would write, for a dry run)."""
    for result in report.layers:
        name = result.path.name
        if report.dry_run:
            verb = "would write" if result.outcome == "planned" else "unchanged"
        else:
            verb = {"archived": "wrote", "exported": "exported"}.get(
                result.outcome, "unchanged"
            )
        size = result.metadata.get("archive_size")
        size_text = f" ({int(str(size)) / 1e6:.1f} MB)" if size is not None else ""
        state.out.print(f"{verb:>11}  {name}{size_text}", highlight=False)
    if report.manifest is not None:
        state.out.print(f"Metadata: {report.manifest}", highlight=False)
    if not report.layers:
        state.out.print("No layers to publish for this platform.")
