"""The secret key: from ITSMS_SECRET_KEY, or generated once into the data folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MIN_LENGTH = 50


def load_or_create_secret_key(data_dir: Path) -> str:
    explicit = os.environ.get("ITSMS_SECRET_KEY", "").strip()
    if explicit:
        if len(explicit) < MIN_LENGTH or len(set(explicit)) < 5:
            raise ImproperlyConfigured(
                f"ITSMS_SECRET_KEY is too weak: use at least {MIN_LENGTH} random characters."
            )
        return explicit
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    # Created with owner-only permissions: the key signs sessions and reset links.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race; use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
