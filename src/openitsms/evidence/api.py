from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from openitsms.catalogue.models import Requirement
from openitsms.evidence import actions
from openitsms.evidence.choices import EvidenceKind, Freshness
from openitsms.evidence.models import EvidenceFile, EvidenceItem, can_create_evidence
from openitsms.evidence.views import file_response, filtered_items
from openitsms.processes.models import Process
from openitsms.tenancy.access import api_require, request_membership, request_org

router = Router(tags=["evidence"])
User = get_user_model()


class RequirementRef(Schema):
    id: int
    number: str
    title: str


class ProcessRef(Schema):
    id: int
    slug: str
    name: str


class EvidenceFileOut(Schema):
    id: int
    version: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    note: str
    uploaded_by: str | None
    uploaded_at: datetime

    @staticmethod
    def resolve_uploaded_by(obj: EvidenceFile) -> str | None:
        return obj.uploaded_by.username if obj.uploaded_by else None


class EvidenceVersionCreatedOut(EvidenceFileOut):
    same_content_as: list[str]
    message: str


class EvidenceOut(Schema):
    id: int
    title: str
    description: str
    kind: EvidenceKind
    owner: str | None
    owner_id: int | None
    effective_on: date
    valid_until: date | None
    review_interval_days: int | None
    expires_on: date | None
    freshness: Freshness
    url: str
    requirements: list[RequirementRef]
    processes: list[ProcessRef]
    versions: list[EvidenceFileOut]
    created_at: datetime
    deleted_at: datetime | None

    @staticmethod
    def resolve_owner(obj: EvidenceItem) -> str | None:
        return obj.owner.username if obj.owner else None

    @staticmethod
    def resolve_freshness(obj: EvidenceItem) -> str:
        return obj.freshness()

    @staticmethod
    def resolve_requirements(obj: EvidenceItem) -> list[Requirement]:
        return list(obj.requirements.all())

    @staticmethod
    def resolve_processes(obj: EvidenceItem) -> list[Process]:
        return list(obj.processes.all())

    @staticmethod
    def resolve_versions(obj: EvidenceItem) -> list[EvidenceFile]:
        return list(obj.versions.all())


class EvidenceIn(Schema):
    title: str
    kind: EvidenceKind
    effective_on: date
    description: str = ""
    owner_id: int | None = None
    valid_until: date | None = None
    review_interval_days: int | None = None
    url: str = ""
    requirements: list[str] = []
    processes: list[int] = []


class EvidencePatch(Schema):
    title: str | None = None
    kind: EvidenceKind | None = None
    effective_on: date | None = None
    description: str | None = None
    owner_id: int | None = None
    valid_until: date | None = None
    review_interval_days: int | None = None
    url: str | None = None
    requirements: list[str] | None = None
    processes: list[int] | None = None


NOT_NULL = {"title", "kind", "effective_on", "description", "url"}


def _items() -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.select_related("owner").prefetch_related(
        Prefetch("requirements", queryset=Requirement.objects.order_by("position")),
        Prefetch("processes", queryset=Process.objects.order_by("position", "name")),
        Prefetch(
            "versions",
            queryset=EvidenceFile.objects.select_related("uploaded_by").order_by(
                "item_id", "-version"
            ),
        ),
    )


def _requirements(numbers: list[str]) -> list[Requirement]:
    found = {r.number: r for r in Requirement.objects.primary().filter(number__in=numbers)}
    unknown = [n for n in numbers if n not in found]
    if unknown:
        raise ValidationError({"requirements": f"Unknown clause(s): {', '.join(unknown)}."})
    return [found[n] for n in numbers]


def _processes(ids: list[int]) -> list[Process]:
    found = {p.pk: p for p in Process.objects.filter(pk__in=ids)}
    unknown = [str(i) for i in ids if i not in found]
    if unknown:
        raise ValidationError({"processes": f"Unknown process id(s): {', '.join(unknown)}."})
    return [found[i] for i in ids]


def _member(request: HttpRequest, user_id: int | None) -> Any:
    if user_id is None:
        return None
    owner = User.objects.filter(pk=user_id, memberships__organisation=request_org(request)).first()
    if owner is None:
        raise ValidationError({"owner_id": "The owner must be a member of the organisation."})
    return owner


def _editable(request: HttpRequest, item: EvidenceItem) -> None:
    if not item.editable_by(request_membership(request)):
        raise HttpError(
            403,
            "Only owners, managers and the owner of the evidence (or of a process it belongs "
            "to) can change it.",
        )


@router.get("/orgs/{org}/evidence", response=list[EvidenceOut], summary="Evidence items")
@paginate(PageNumberPagination)
def evidence_list(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    org: str,
    kind: EvidenceKind | None = None,
    clause: str | None = None,
    process: int | None = None,
    owner: str | None = None,
    freshness: Freshness | None = None,
    q: str | None = None,
    deleted: bool = False,
):
    """Filters: `kind`, `clause` (a clause number; its sub-clauses count too), `process` (id),
    `owner` (user id, or `none`), `freshness`, `q` (in the title), `deleted=true` for the
    deleted items only."""
    data = {
        "kind": kind,
        "clause": clause,
        "process": process,
        "owner": owner,
        "freshness": freshness,
        "q": q,
        "deleted": deleted,
    }
    if owner not in (None, "none") and not str(owner).isdigit():
        raise ValidationError({"owner": "Give a user id or `none`."})
    return filtered_items(_items(), data).order_by("title", "pk")


@router.post("/orgs/{org}/evidence", response={201: EvidenceOut}, summary="Add evidence")
def evidence_create(request: HttpRequest, org: str, payload: EvidenceIn) -> Status:
    api_require(request, can_create_evidence, "Auditors and viewers cannot add evidence.")
    result = actions.create_evidence(
        organisation=request_org(request),
        user=request.auth,  # type: ignore[attr-defined]
        title=payload.title,
        kind=payload.kind,
        effective_on=payload.effective_on,
        description=payload.description,
        owner=_member(request, payload.owner_id),
        valid_until=payload.valid_until,
        review_interval_days=payload.review_interval_days,
        url=payload.url,
        requirements=_requirements(payload.requirements),
        processes=_processes(payload.processes),
    )
    return Status(201, _items().get(pk=result.item.pk))


@router.get("/orgs/{org}/evidence/{evidence_id}", response=EvidenceOut, summary="One item")
def evidence_detail(request: HttpRequest, org: str, evidence_id: int) -> EvidenceItem:
    return get_object_or_404(_items(), pk=evidence_id)


@router.patch("/orgs/{org}/evidence/{evidence_id}", response=EvidenceOut, summary="Change one")
def evidence_update(
    request: HttpRequest, org: str, evidence_id: int, payload: EvidencePatch
) -> EvidenceItem:
    item = get_object_or_404(EvidenceItem.objects.all(), pk=evidence_id)
    _editable(request, item)
    if item.deleted_at is not None:
        raise ValidationError("This evidence was deleted; restore it before changing it.")
    sent = payload.dict(exclude_unset=True)
    nulls = sorted(k for k in NOT_NULL if k in sent and sent[k] is None)
    if nulls:
        raise ValidationError({k: "This field cannot be empty." for k in nulls})
    changes = {k: v for k, v in sent.items() if k in actions.EDITABLE_FIELDS}
    if "owner_id" in sent:
        changes["owner"] = _member(request, sent["owner_id"])
    actions.update_evidence(
        item=item,
        changes=changes,
        requirements=_requirements(sent["requirements"] or []) if "requirements" in sent else None,
        processes=_processes(sent["processes"] or []) if "processes" in sent else None,
    )
    return _items().get(pk=item.pk)


@router.delete(
    "/orgs/{org}/evidence/{evidence_id}",
    response={204: None},
    summary="Delete one (softly: it and its files stay on record)",
)
def evidence_delete(request: HttpRequest, org: str, evidence_id: int) -> Status:
    if not request_membership(request).can_edit:
        raise HttpError(403, "Only owners and managers can delete evidence.")
    item = get_object_or_404(EvidenceItem.objects.all(), pk=evidence_id)
    actions.delete_evidence(item=item)
    return Status(204, None)


@router.post(
    "/orgs/{org}/evidence/{evidence_id}/restore", response=EvidenceOut, summary="Restore one"
)
def evidence_restore(request: HttpRequest, org: str, evidence_id: int) -> EvidenceItem:
    if not request_membership(request).can_edit:
        raise HttpError(403, "Only owners and managers can restore evidence.")
    item = get_object_or_404(EvidenceItem.objects.all(), pk=evidence_id)
    actions.restore_evidence(item=item)
    return _items().get(pk=item.pk)


@router.post(
    "/orgs/{org}/evidence/{evidence_id}/versions",
    response={201: EvidenceVersionCreatedOut},
    summary="Upload a new file version (multipart: file, note)",
)
def evidence_upload(
    request: HttpRequest,
    org: str,
    evidence_id: int,
    file: File[UploadedFile],
    note: Form[str] = "",
) -> Status:
    item = get_object_or_404(EvidenceItem.objects.all(), pk=evidence_id)
    _editable(request, item)
    result = actions.upload_version(
        item=item,
        user=request.auth,  # type: ignore[attr-defined]
        upload=file,
        note=note,
    )
    version = result.version
    version.same_content_as = [f"{f.item.title} v{f.version}" for f in result.same_as]  # type: ignore[attr-defined]
    version.message = result.message  # type: ignore[attr-defined]
    return Status(201, version)


@router.get(
    "/orgs/{org}/evidence-files/{file_id}/download",
    response={200: None},
    summary="Download one file version",
)
def file_download(request: HttpRequest, org: str, file_id: int) -> FileResponse:
    return file_response(get_object_or_404(EvidenceFile.objects.all(), pk=file_id))
