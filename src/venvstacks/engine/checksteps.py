"""The steps of ``check`` that go through the engine: lock, build, publish, deploy.

Each step runs once for all the layers it is given. When the engine raises for one
layer, that layer (and every layer above it) is set aside with the error, and the step
runs again for the others, so one broken layer never hides the state of the rest.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from venvstacks.checks import CheckResult, LayerFolder, failed, passed
from venvstacks.checks.archives import (
    check_relocatable,
    check_reproducible,
    deployed_failure,
    scan_failure,
)
from venvstacks.errors import VenvStacksError

if TYPE_CHECKING:
    from venvstacks.engine.stack import Stack

#: Folder names (with spaces and non-ASCII letters) the layers are deployed into.
DEPLOY_DIR = "deployed stack é"
MOVED_DIR = "moved stack ü"


class StepRunner:
    """Runs lock, build and publish for a list of layers, keeping per-layer errors."""

    def __init__(self, stack: Stack, names: Sequence[str], locked: bool) -> None:
        self.stack = stack
        self.names = list(names)
        self.locked = locked
        self.errors: dict[str, dict[str, tuple[str, str]]] = {}
        self.notes: dict[tuple[str, str], str] = {}

    def _each(
        self, step: str, names: Sequence[str], call: Callable[[list[str]], Any]
    ) -> list[Any]:
        """Run ``call`` on ``names``, setting aside failed layers and those above them.

        An error naming no layer makes the step run again one layer at a time (lower
        layers first), so each layer gets its own outcome.
        """
        remaining = [n for n in names if not self.failed_before(n, step)]
        outputs: list[Any] = []
        while remaining:
            try:
                outputs.append(call(remaining))
                break
            except VenvStacksError as exc:
                culprit = exc.layer if exc.layer in remaining else None
                if culprit is None:
                    outputs.extend(self._one_by_one(step, remaining, call))
                    break
                remaining = self._set_aside(step, culprit, exc, remaining)
        return outputs

    def _set_aside(
        self, step: str, culprit: str, exc: VenvStacksError, remaining: list[str]
    ) -> list[str]:
        spec = self.stack.spec
        self.errors.setdefault(culprit, {})[step] = ("error", exc.paragraph())
        above = {x.env_name for x in spec.dependents(spec.layer(culprit))}
        for name in above & set(remaining):
            self.errors.setdefault(name, {}).setdefault(step, ("lower", culprit))
        return [n for n in remaining if n != culprit and n not in above]

    def _one_by_one(
        self, step: str, names: list[str], call: Callable[[list[str]], Any]
    ) -> list[Any]:
        outputs: list[Any] = []
        remaining = list(names)
        while remaining:
            name = remaining[0]
            try:
                outputs.append(call([name]))
                remaining.pop(0)
            except VenvStacksError as exc:
                remaining = self._set_aside(step, name, exc, remaining)
        return outputs

    def failed_before(self, name: str, step: str) -> bool:
        """Whether the layer failed a step before ``step``."""
        order = ("lock", "build", "publish")
        return any(s in self.errors.get(name, {}) for s in order[: order.index(step)])

    def usable(self, name: str) -> bool:
        """Whether the layer locked and built."""
        return not self.failed_before(name, "publish")

    def lock(self) -> None:
        """Check (``locked``) or make the locks of every layer."""
        if self.locked:
            for status in self.stack.lock_status(self.names):
                if not status.valid:
                    self.errors.setdefault(status.env_name, {})["lock-state"] = (
                        "error",
                        f"the project's lock is {status.state}: {status.reason}. Run "
                        "'venvstacks lock' and commit the lock files (the other checks "
                        "ran on a fresh lock made in a temporary copy).",
                    )
        reports = self._each(
            "lock", self.names, lambda n: self.stack.lock(n, if_needed=True)
        )
        for layer in (r for report in reports for r in report.layers):
            if layer.outcome in ("locked", "updated"):
                self.notes[(layer.env_name, "lock")] = (
                    "the project had no current lock for this layer: locked afresh in "
                    "the temporary copy (the project's requirements/ is unchanged)"
                )

    def build(self) -> None:
        """Build every layer that locked."""
        self._each("build", self.names, lambda n: self.stack.build(n))

    def publish(self, names: Sequence[str], out: Path, fmt: str) -> dict[str, Path]:
        """Publish layers into ``out``; env name -> archive."""
        reports = self._each(
            "publish", names, lambda n: self.stack.publish(out, n, fmt=fmt)
        )
        return {r.env_name: r.path for report in reports for r in report.layers}

    def result(self, name: str, step: str) -> CheckResult:
        """The ``lock`` or ``build`` check result of a layer."""
        errors = self.errors.get(name, {})
        if step == "lock" and "lock-state" in errors:
            return failed("lock", name, errors["lock-state"][1])
        if step == "build" and "lock" in errors:
            return failed("build", name, "not built: the layer did not lock.", cause="lock")
        if step in errors:
            kind, text = errors[step]
            if kind == "lower":
                return failed(
                    step,
                    name,
                    f"not done: the lower layer {text} failed to {step}.",
                    cause=text,
                )
            return failed(step, name, text)
        note = self.notes.get((name, step), "")
        return passed(
            step, name, note or ("the lock is current" if step == "lock" else "built")
        )

    def blocked(self, name: str, check: str) -> CheckResult | None:
        """A failure saying why ``check`` could not run on the layer, if it could not."""
        errors = self.errors.get(name, {})
        for step in ("lock", "build", "publish"):
            if step in errors:
                kind, text = errors[step]
                reason = (
                    f"its lower layer {text} failed to {step}"
                    if kind == "lower"
                    else f"the layer failed to {step}: {text}"
                )
                return failed(check, name, f"not checked: {reason}", cause=step)
        return None


def rearchive(
    stack: Stack, names: Sequence[str], first: dict[str, Path], work_dir: Path, fmt: str
) -> list[Callable[[], CheckResult]]:
    """Tasks archiving each layer again from a new staging and comparing the archives."""
    from venvstacks.archive import archive_format
    from venvstacks.engine.publishing import archive_layer, plan_layers

    session = stack.current_session()
    plans = {
        p.env_name: p for p in plan_layers(session, [stack.spec.layer(n) for n in names])
    }
    out = work_dir / "archives-again"
    out.mkdir(parents=True, exist_ok=True)

    def task(name: str) -> CheckResult:
        plan = plans[name]
        staging_root = work_dir / "staging-again" / name
        again = out / first[name].name
        try:
            archive_layer(session, plan, again, archive_format(fmt), staging_root)
        except VenvStacksError as exc:
            return failed(
                "reproducible", name, f"the second archive failed: {exc.paragraph()}"
            )
        finally:
            shutil.rmtree(staging_root, ignore_errors=True)
        return check_reproducible(name, first[name], again)

    return [lambda name=name: task(name) for name in names]  # type: ignore[misc]


def deploy_and_check(
    stack: Stack,
    archives: dict[str, Path],
    names: Sequence[str],
    work_dir: Path,
    forbidden: Sequence[str],
    describe: Callable[[str, Path], LayerFolder],
) -> tuple[dict[str, LayerFolder], list[Callable[[], CheckResult]]]:
    """Unpack every archive side by side, check ``names`` there, move the folder.

    Returns the moved layers and the tasks checking them in their new place.
    """
    from venvstacks.archive import unpack_archive

    first_root = work_dir / DEPLOY_DIR
    moved_root = work_dir / MOVED_DIR
    deployed: dict[str, LayerFolder] = {}
    unpack_errors: dict[str, str] = {}
    for name, archive in archives.items():
        try:
            top = unpack_archive(archive, first_root)
        except VenvStacksError as exc:
            unpack_errors[name] = exc.paragraph()
            continue
        deployed[name] = describe(name, top)
    earlier: dict[str, CheckResult | None] = {}

    def first_pass(name: str) -> None:
        folder = deployed[name]
        earlier[name] = scan_failure(folder, forbidden) or deployed_failure(
            folder, f" in {folder.root}"
        )

    checked = [n for n in names if n in deployed]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        list(pool.map(first_pass, checked))
    if first_root.exists():
        first_root.rename(moved_root)
    moved = {name: folder.moved_to(moved_root) for name, folder in deployed.items()}

    def task(name: str) -> CheckResult:
        if name in unpack_errors:
            return failed(
                "relocatable",
                name,
                f"the archive cannot be deployed: {unpack_errors[name]}",
            )
        return check_relocatable(deployed[name], moved[name], earlier.get(name))

    return moved, [lambda name=name: task(name) for name in names]  # type: ignore[misc]
