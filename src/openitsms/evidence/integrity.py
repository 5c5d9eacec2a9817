"""Re-hashes stored evidence files and names every one that is missing or altered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openitsms.evidence.actions import hash_stored

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FileProblem:
    org_slug: str
    item_title: str
    version: int
    path: str
    problem: str  # "missing" or "altered"

    def __str__(self) -> str:
        what = (
            "the stored file is missing"
            if self.problem == "missing"
            else "the stored file was altered (its SHA-256 no longer matches)"
        )
        return f"{self.org_slug}: “{self.item_title}” version {self.version} ({self.path}): {what}"


def verify_files(files: Any, progress: Progress | None = None) -> tuple[int, list[FileProblem]]:
    """Re-hash every file of the ``files`` queryset of EvidenceFile; (checked, problems)."""
    rows = files.select_related("item", "organisation").order_by(
        "organisation__slug", "item_id", "version"
    )
    total = rows.count()
    problems: list[FileProblem] = []
    checked = 0
    for version in rows.iterator(chunk_size=500):
        name = version.file.name
        try:
            actual = hash_stored(name)
        except (FileNotFoundError, IsADirectoryError):
            problems.append(_problem(version, "missing"))
        else:
            if actual != version.sha256:
                problems.append(_problem(version, "altered"))
        checked += 1
        if progress:
            progress(checked, total)
    if progress and not total:
        progress(0, 0)
    return checked, problems


def _problem(version: Any, kind: str) -> FileProblem:
    return FileProblem(
        org_slug=version.organisation.slug,
        item_title=version.item.title,
        version=version.version,
        path=version.file.name,
        problem=kind,
    )
