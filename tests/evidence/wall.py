"""The evidence store's records of a victim organisation, for tests/test_org_wall.py."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from openitsms.evidence import actions
from openitsms.evidence.models import EvidenceItem


def populate_victim(org: Any, owner: Any) -> None:
    """An evidence item with one file version (runs inside ``org_scope(org)``)."""
    if EvidenceItem.objects.filter(title="secret-victim-note").exists():
        return
    actions.create_evidence(
        organisation=org,
        user=owner,
        title="secret-victim-note",
        kind="record",
        owner=owner,
        effective_on=timezone.localdate(),
        upload=SimpleUploadedFile("secret-victim-note.txt", b"secret-victim-note"),
    )
