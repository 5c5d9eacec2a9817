"""Safe display names for files people upload.

An uploaded file's name is only ever shown and offered back on download: files are stored under
their content hash, never under the name they came with. The name is still cleaned, so that a
name like ``../../etc/passwd`` or one carrying control characters cannot surprise a browser, a
terminal or a file manager later.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

MAX_LENGTH = 200
FALLBACK = "file"
# Characters that are not allowed in file names on common desktops.
_UNSAFE = re.compile(r'[<>:"|?*]')
_SPACES = re.compile(r"\s+")


def safe_filename(name: str, *, fallback: str = FALLBACK) -> str:
    """The last path component of ``name`` without control characters, in at most 200 chars.

    Keeps letters of every script, spaces and punctuation that file managers accept; drops
    directory parts (``/`` and ``\\``), control and format characters (including bidirectional
    overrides that disguise an extension), leading dots and trailing dots or spaces.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    name = _UNSAFE.sub("_", name)
    name = _SPACES.sub(" ", name).strip()
    name = name.lstrip(".").rstrip(". ")
    if not name:
        return fallback
    if len(name) > MAX_LENGTH:
        suffix = extension(name)
        keep = MAX_LENGTH - (len(suffix) + 1 if suffix and len(suffix) < 16 else 0)
        name = name[:keep].rstrip(". ") + (f".{suffix}" if keep < MAX_LENGTH else "")
    return name


def extension(name: str) -> str:
    """The lower-case extension of ``name`` without the dot, or '' when it has none."""
    suffix = PurePosixPath(name).suffix
    return suffix[1:].lower() if len(suffix) > 1 else ""
