"""Builders for the evidence tests: items, uploads and files on disk."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from openitsms.catalogue.models import Requirement
from openitsms.evidence import actions
from openitsms.evidence.models import EvidenceItem
from openitsms.tenancy.scoping import org_scope


def req(number: str) -> Requirement:
    return Requirement.objects.primary().get(number=number)


def upload(content: bytes = b"minutes of the review\n", name: str = "minutes.txt") -> Any:
    return SimpleUploadedFile(name, content, content_type="text/plain")


def item(org: Any, user: Any = None, title: str = "Management review minutes", **extra: Any):
    """A live evidence item created through the action (so links and audit are real)."""
    extra.setdefault("kind", "record")
    extra.setdefault("effective_on", timezone.localdate())
    with org_scope(org):
        return actions.create_evidence(organisation=org, user=user, title=title, **extra).item


def add_version(target: EvidenceItem, content: bytes, name: str = "file.txt", user: Any = None):
    with org_scope(target.organisation):
        return actions.upload_version(item=target, user=user, upload=upload(content, name))


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


class NoSlurp(io.BytesIO):
    """A stream that refuses to be read whole: every read must ask for a bounded chunk."""

    largest_read = 0

    def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        assert size is not None and size > 0, "the upload was read whole"
        self.largest_read = max(self.largest_read, size)
        return super().read(size)


def streaming_file(content: bytes, name: str) -> File:  # type: ignore[type-arg]
    stream = NoSlurp(content)
    f = File(stream, name=name)
    return f
