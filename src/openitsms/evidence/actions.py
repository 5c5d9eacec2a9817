"""Workflows of the evidence store: create, version, edit, delete (softly) and restore.

Files are streamed: the SHA-256 and size are computed chunk by chunk, and storage writes the
upload chunk by chunk too, so a 50 MB upload never sits in memory. A stored file lives at a path
made from its hash and is written once: a second upload of the same bytes reuses it.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from openitsms.audit.choices import AuditAction
from openitsms.catalogue.models import Requirement
from openitsms.evidence.choices import EvidenceKind
from openitsms.evidence.models import EvidenceFile, EvidenceItem, evidence_upload_to
from openitsms.lib.filenames import extension, safe_filename
from openitsms.processes.models import Process
from openitsms.tenancy.models import Organisation

CHUNK_SIZE = 256 * 1024
# The fields of an item that people edit (the rest is set by the system).
EDITABLE_FIELDS = (
    "title",
    "description",
    "kind",
    "owner",
    "effective_on",
    "valid_until",
    "review_interval_days",
    "url",
)


@dataclass(frozen=True)
class UploadResult:
    """A stored version, and the other evidence of the organisation with the same bytes."""

    version: EvidenceFile
    same_as: list[EvidenceFile] = field(default_factory=list)

    @property
    def message(self) -> str:
        text = f"Version {self.version.version} of “{self.version.item}” was stored."
        if self.same_as:
            names = "; ".join(
                f"“{f.item}” version {f.version}"
                if f.item_id != self.version.item_id
                else f"version {f.version} of this item"
                for f in self.same_as
            )
            text += f" It has the same content as {names}."
        return text


@dataclass(frozen=True)
class EvidenceResult:
    item: EvidenceItem
    upload: UploadResult | None = None


def allowed_types() -> list[str]:
    return list(settings.EVIDENCE_ALLOWED_TYPES)


def _check_upload(name: str, size: int | None) -> None:
    """Refuse by name and announced size before reading anything."""
    ext = extension(name)
    if ext not in allowed_types():
        what = f"“.{ext}” files" if ext else "Files without an extension"
        raise ValidationError(
            {
                "file": f"{what} are not accepted. Accepted types: {', '.join(allowed_types())}.",
            },
            code="file_type",
        )
    if size is not None and size > settings.EVIDENCE_MAX_BYTES:
        _too_big()


def _too_big() -> None:
    raise ValidationError(
        {
            "file": "The file is larger than the "
            f"{filesizeformat(settings.EVIDENCE_MAX_BYTES)} limit "
            f"({settings.EVIDENCE_MAX_BYTES} bytes)."
        },
        code="file_too_big",
    )


def hash_stream(upload: File) -> tuple[str, int]:  # type: ignore[type-arg]
    """SHA-256 and size of ``upload``, read in chunks; refuses it past the size limit."""
    digest = hashlib.sha256()
    size = 0
    limit = settings.EVIDENCE_MAX_BYTES
    for chunk in upload.chunks(CHUNK_SIZE):
        size += len(chunk)
        if size > limit:
            _too_big()
        digest.update(chunk)
    return digest.hexdigest(), size


def hash_stored(name: str) -> str:
    """SHA-256 of a stored file, read in chunks (raises FileNotFoundError when missing)."""
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _store(upload: File, path: str, sha256: str) -> str:  # type: ignore[type-arg]
    """Write ``upload`` at its content-addressed ``path``; never overwrite what is there.

    When the path holds the same bytes already (the same file uploaded before), it is reused.
    When it holds other bytes (a stored file was altered), that file is left as it is for the
    verifier to report, and storage picks a fresh name beside it.
    """
    if default_storage.exists(path):
        try:
            if hash_stored(path) == sha256:
                return path
        except FileNotFoundError:
            pass
    upload.seek(0)
    return default_storage.save(path, upload, max_length=300)


@transaction.atomic
def upload_version(
    *,
    item: EvidenceItem,
    user: Any,
    upload: File,  # type: ignore[type-arg]
    note: str = "",
) -> UploadResult:
    """Store ``upload`` as the next version of ``item``.

    Refused (ValidationError on ``file``) when the type is not accepted, the file is too big,
    or it is byte for byte the item's latest version.
    """
    item = EvidenceItem.all_orgs.select_for_update().get(pk=item.pk)
    if item.deleted_at is not None:
        raise ValidationError("This evidence was deleted; restore it before adding a version.")
    name = safe_filename(getattr(upload, "name", "") or "")
    _check_upload(name, getattr(upload, "size", None))
    sha256, size = hash_stream(upload)
    if size == 0:
        raise ValidationError({"file": "The file is empty."}, code="file_empty")
    versions = EvidenceFile.all_orgs.filter(item=item)
    latest = versions.order_by("-version").first()
    if latest is not None and latest.sha256 == sha256:
        raise ValidationError(
            {
                "file": f"This file is identical to version {latest.version} "
                f"({latest.original_name}); nothing was stored."
            },
            code="identical",
        )
    same_as = list(
        EvidenceFile.all_orgs.filter(organisation_id=item.organisation_id, sha256=sha256)
        .select_related("item")
        .order_by("item_id", "version")
    )
    version = EvidenceFile(
        organisation_id=item.organisation_id,
        item=item,
        version=(latest.version + 1) if latest else 1,
        original_name=name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        size=size,
        sha256=sha256,
        note=note.strip()[:300],
        uploaded_by=user if getattr(user, "pk", None) else None,
        uploaded_at=timezone.now(),
    )
    version.file.name = _store(upload, evidence_upload_to(version, name), sha256)
    version.save()
    return UploadResult(version=version, same_as=same_as)


def _check_links(
    organisation: Organisation,
    requirements: Iterable[Requirement] | None,
    processes: Iterable[Process] | None,
) -> tuple[list[Requirement] | None, list[Process] | None]:
    reqs = list(requirements) if requirements is not None else None
    procs = list(processes) if processes is not None else None
    if procs and any(p.organisation_id != organisation.pk for p in procs):
        raise ValidationError({"processes": "Choose processes of this organisation."})
    return reqs, procs


def _check_owner(organisation: Organisation, owner: Any) -> None:
    if owner is None:
        return
    from openitsms.tenancy.models import Membership

    if not Membership.objects.filter(organisation=organisation, user=owner).exists():
        raise ValidationError({"owner": "The owner must be a member of the organisation."})


def _save(item: EvidenceItem) -> None:
    """Validate with every error next to its field, then save."""
    errors: dict[str, list[str]] = {}
    if item.kind == EvidenceKind.LINK and not item.url:
        errors["url"] = ["A link needs its address."]
    if item.valid_until and item.effective_on and item.valid_until < item.effective_on:
        errors["valid_until"] = ["'Valid until' cannot be before the effective date."]
    try:
        item.full_clean(exclude=["organisation", "created_by", *errors])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    item.save()


@transaction.atomic
def create_evidence(
    *,
    organisation: Organisation,
    user: Any,
    title: str,
    kind: str,
    effective_on: date,
    description: str = "",
    owner: Any = None,
    valid_until: date | None = None,
    review_interval_days: int | None = None,
    url: str = "",
    requirements: Iterable[Requirement] = (),
    processes: Iterable[Process] = (),
    upload: File | None = None,  # type: ignore[type-arg]
    note: str = "",
) -> EvidenceResult:
    """Create an evidence item, its links, and (optionally) its first file version."""
    reqs, procs = _check_links(organisation, requirements, processes)
    _check_owner(organisation, owner)
    item = EvidenceItem(
        organisation=organisation,
        title=title.strip(),
        description=description,
        kind=kind,
        owner=owner,
        effective_on=effective_on,
        valid_until=valid_until,
        review_interval_days=review_interval_days,
        url=url,
        created_by=user if getattr(user, "pk", None) else None,
    )
    _save(item)
    if reqs:
        item.requirements.set(reqs)
    if procs:
        item.processes.set(procs)
    result = None
    if upload is not None:
        result = upload_version(item=item, user=user, upload=upload, note=note or "First version.")
    return EvidenceResult(item=item, upload=result)


@transaction.atomic
def update_evidence(
    *,
    item: EvidenceItem,
    changes: Mapping[str, Any],
    requirements: Iterable[Requirement] | None = None,
    processes: Iterable[Process] | None = None,
) -> EvidenceItem:
    """Change the fields in ``changes`` (only :data:`EDITABLE_FIELDS`) and, when given, the
    links. Link changes reach the audit trail as added and removed ids."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    organisation = item.organisation
    reqs, procs = _check_links(organisation, requirements, processes)
    if "owner" in changes:
        _check_owner(organisation, changes["owner"])
    for name, value in changes.items():
        setattr(item, name, value.strip() if name == "title" and value else value)
    _save(item)
    if reqs is not None:
        item.requirements.set(reqs)
    if procs is not None:
        item.processes.set(procs)
    return item


@transaction.atomic
def delete_evidence(*, item: EvidenceItem) -> EvidenceItem:
    """Soft delete: the item leaves the lists; it, its links and its files stay on record."""
    if item.deleted_at is not None:
        raise ValidationError("This evidence is already deleted.")
    item.deleted_at = timezone.now()
    item._audit_action = AuditAction.DELETE  # type: ignore[attr-defined]
    item.save(update_fields=["deleted_at"])
    return item


@transaction.atomic
def restore_evidence(*, item: EvidenceItem) -> EvidenceItem:
    if item.deleted_at is None:
        raise ValidationError("This evidence is not deleted.")
    item.deleted_at = None
    item.save(update_fields=["deleted_at"])
    return item
