"""Turns DATABASE_URL into Django's DATABASES setting, failing with a clear message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

SUPPORTED_ENGINES = {
    "django.db.backends.sqlite3": "SQLite",
    "django.db.backends.postgresql": "PostgreSQL",
}


def sqlite_config(path: Path) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock
            # at BEGIN so that the audit chain's read-last-then-append cannot interleave.
            # A 32 MiB page cache (the default is 2 MiB): an import inserts into several
            # indexes at once, which thrash a small cache (bench/operations: 16 to 64 MiB
            # take the same time; the cache counts in the import's memory).
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def database_config(url: str, default_sqlite: Path) -> dict[str, Any]:
    """Return the ``default`` database settings for ``url`` (or the embedded SQLite file)."""
    if not url:
        return sqlite_config(default_sqlite)
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    except Exception as exc:  # dj_database_url raises several unrelated types
        raise ImproperlyConfigured(
            f"DATABASE_URL is malformed ({exc}). Expected for example "
            "postgres://user:password@host:5432/name or sqlite:////absolute/path.db"
        ) from None
    engine = config.get("ENGINE", "")
    if engine not in SUPPORTED_ENGINES:
        raise ImproperlyConfigured(
            f"DATABASE_URL uses an unsupported database ({engine or 'unknown'}); "
            "OpenITSMS runs on SQLite or PostgreSQL."
        )
    if engine == "django.db.backends.sqlite3":
        if not config.get("NAME") or config["NAME"] == ":memory:":
            raise ImproperlyConfigured("DATABASE_URL for SQLite must name a file.")
        return sqlite_config(Path(config["NAME"]))
    if not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL must name the database, e.g. .../itsms.")
    config.setdefault("OPTIONS", {})
    config["OPTIONS"].setdefault("connect_timeout", 5)
    config["CONN_HEALTH_CHECKS"] = True
    return config
