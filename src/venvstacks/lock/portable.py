"""Keeping locks portable: local file URLs become paths relative to the lock file.

uv records wheels found in ``--local-wheels`` folders by absolute ``file://`` URL.
PEP 751 lets a lock name them by ``path`` relative to the lock file instead, which
uv installs from just as well, so the lock keeps working when the project (locks and
wheel folder together) is checked out somewhere else.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

_FILE_URL = re.compile(r'url = "(file://[^"]+)"')
_FILE_INDEX_LINE = re.compile(r'^index = "file://[^"]*"\n', re.MULTILINE)


def _relative_entry(match: re.Match[str], lock_folder: Path) -> str:
    location = Path(unquote(urlsplit(match[1]).path))
    relative = Path(os.path.relpath(location, lock_folder)).as_posix()
    return f"name = {json.dumps(location.name)}, path = {json.dumps(relative)}"


def relative_local_paths(pylock_text: str, lock_folder: Path) -> str:
    """Rewrite ``file://`` artifact URLs as paths relative to ``lock_folder``."""
    text = _FILE_INDEX_LINE.sub("", pylock_text)
    return _FILE_URL.sub(lambda m: _relative_entry(m, lock_folder), text)
