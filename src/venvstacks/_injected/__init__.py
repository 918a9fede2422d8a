"""Files venvstacks copies into the layers it publishes.

They run with whatever Python the deployment has (3.9 or later), so they use only the
standard library and older syntax; mypy does not check ``postinstall.py``.

``postinstall.py`` imports the file schemas from :mod:`venvstacks._injected.schema`
(so there is one definition of them); the copy shipped in a layer is made
self-contained by :func:`postinstall_source`, which inlines the schema module's text in
place of that import.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

_HERE = Path(__file__).parent
#: The line of ``postinstall.py`` replaced by the schema module's text when shipped.
INLINE_MARKER = "# inline-schema"


def postinstall_source() -> str:
    """The self-contained text of the ``postinstall.py`` shipped in every layer."""
    script = (_HERE / "postinstall.py").read_text("utf-8")
    schema = (_HERE / "schema.py").read_text("utf-8")
    body = schema.split('"""', 2)[2].lstrip("\n")  # without the module docstring
    lines = script.splitlines(keepends=True)
    marked = [i for i, line in enumerate(lines) if line.rstrip().endswith(INLINE_MARKER)]
    if len(marked) != 1:
        raise RuntimeError(f"postinstall.py must have one {INLINE_MARKER!r} import line")
    index = marked[0]
    inlined = f"# --- inlined from venvstacks/_injected/schema.py ---\n{body}# ---\n"
    return "".join([*lines[:index], inlined, *lines[index + 1 :]])


def _postinstall_script() -> Path:
    """A file holding :func:`postinstall_source` (written once per content)."""
    text = postinstall_source()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"venvstacks-postinstall-{digest}"
    path = folder / "postinstall.py"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        temp = folder / f".postinstall.{digest}.tmp"
        temp.write_text(text, "utf-8")
        temp.replace(path)
    return path


def __getattr__(name: str) -> Path:
    # POSTINSTALL_SCRIPT: the shipped (self-contained) script as a file, for tools and
    # tests that copy it into a deployment themselves.
    if name == "POSTINSTALL_SCRIPT":
        return _postinstall_script()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
