"""A stand-in for uv, for fast tests of engine logic (``Stack(uv_runner=FakeUv())``).

``uv lock`` "resolves" each requirement of the layer project to ``<name>==1.0``
(writing a ``uv.lock`` that lists them); ``uv export`` prints them as a pylock file
(each with a ``py3-none-any`` wheel), leaving out ``--no-emit-package`` names; any other command succeeds doing nothing.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from venvstacks.uvtool import UvResult


class FakeUv:
    """Records every uv command it is given (``calls``: the argument lists)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def commands(self) -> list[str]:
        """The uv sub-commands run so far, in order."""
        return [args[0] for args in self.calls]

    def __call__(self, args: list[str], cwd: Path | None, env: dict[str, str]) -> UvResult:
        self.calls.append(args)
        if args[0] == "lock":
            project = Path(args[args.index("--directory") + 1])
            lines = ["version = 1", ""]
            for name in self._names(project):
                lines += ["[[package]]", f'name = "{name}"', 'version = "1.0"', ""]
            (project / "uv.lock").write_text("\n".join(lines), "utf-8")
        if args[0] == "export":
            project = Path(args[args.index("--directory") + 1])
            skipped = {args[i + 1] for i, a in enumerate(args) if a == "--no-emit-package"}
            lines = ['lock-version = "1.0"', 'created-by = "fake-uv"', ""]
            for name in self._names(project):
                if name not in skipped:
                    lines += ["[[packages]]", f'name = "{name}"', 'version = "1.0"']
                    lines += [
                        "[[packages.wheels]]",
                        f'name = "{name}-1.0-py3-none-any.whl"',
                    ]
                    lines += [""]
            return UvResult(tuple(args), 0, "\n".join(lines), "")
        return UvResult(tuple(args), 0, "", "")

    @staticmethod
    def _names(project: Path) -> list[str]:
        document = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))
        requirements = document["project"]["dependencies"]
        return sorted(
            {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0].lower() for r in requirements}
        )
