"""Files venvstacks copies into the layers it publishes.

They run with whatever Python the deployment has (3.9 or later), so they use only the
standard library and older syntax; mypy does not check them.
"""

from __future__ import annotations

from pathlib import Path

#: The script shipped at the root of every deployed layer folder.
POSTINSTALL_SCRIPT = Path(__file__).with_name("postinstall.py")
