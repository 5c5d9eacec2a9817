from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from openitsms.catalogue import actions, tree
from openitsms.catalogue.choices import (
    ConformityStatus,
    CrosswalkRelation,
    EvidenceFilter,
    EvidenceState,
    OperatedBy,
)
from openitsms.catalogue.exports import XLSX_TYPE, Export
from openitsms.catalogue.models import Conformity, Requirement, Standard
from openitsms.evidence.models import EvidenceItem
from openitsms.tenancy.access import api_require, request_membership, request_org

router = Router(tags=["catalogue"])

ASSESSORS_ONLY = "Only owners, managers and process owners can assess requirements."


class StandardOut(Schema):
    key: str
    code: str
    edition: str
    title: str
    data_version: str
    has_requirements: bool
    requirement_count: int


class ConformityOut(Schema):
    requirement_id: int
    number: str
    status: ConformityStatus
    operated_by: OperatedBy
    operator_name: str
    notes: str
    assessed_by: str | None
    assessed_on: date | None


class RequirementOut(Schema):
    id: int
    key: str
    number: str
    title: str
    depth: int
    parent_id: int | None
    conformity: ConformityOut
    evidence_count: int
    evidence_freshness: EvidenceState
    processes: list[str]


class CrosswalkOut(Schema):
    standard: str
    standard_key: str
    clause: str
    relation: CrosswalkRelation
    note: str


class RequirementDetailOut(RequirementOut):
    guidance: str
    typical_evidence: list[str]
    documented_information: list[str]
    records: list[str]
    common_findings: list[str]
    topics: list[str]
    crosswalks: list[CrosswalkOut]
    evidence_ids: list[int]
    children: list[int]


class ConformityIn(Schema):
    status: ConformityStatus
    operated_by: OperatedBy = OperatedBy.ORGANISATION
    operator_name: str = ""
    notes: str = ""


class ConformityBulkIn(Schema):
    requirement_ids: list[int]
    status: ConformityStatus | None = None
    operated_by: OperatedBy | None = None
    operator_name: str | None = None
    notes: str | None = None


def _conformity_out(requirement: Requirement, c: Conformity | None) -> dict[str, Any]:
    if c is None:
        return {
            "requirement_id": requirement.pk,
            "number": requirement.number,
            "status": ConformityStatus.NOT_ASSESSED,
            "operated_by": OperatedBy.ORGANISATION,
            "operator_name": "",
            "notes": "",
            "assessed_by": None,
            "assessed_on": None,
        }
    return {
        "requirement_id": requirement.pk,
        "number": requirement.number,
        "status": c.status,
        "operated_by": c.operated_by,
        "operator_name": c.operator_name,
        "notes": c.notes,
        "assessed_by": c.assessed_by.username if c.assessed_by else None,
        "assessed_on": c.assessed_on,
    }


def _row_out(row: tree.RequirementRow) -> dict[str, Any]:
    r = row.requirement
    return {
        "id": r.pk,
        "key": r.key,
        "number": r.number,
        "title": r.title,
        "depth": r.depth,
        "parent_id": r.parent_id,
        "conformity": _conformity_out(r, row.conformity),
        "evidence_count": row.evidence_count,
        "evidence_freshness": row.freshness,
        "processes": [p.slug for p in row.processes],
    }


def _filters(
    status: ConformityStatus | None,
    clause: str | None,
    process: str | None,
    owner: int | None,
    evidence: EvidenceFilter | None,
) -> tree.RequirementFilters:
    if clause and not Requirement.objects.primary().filter(number=clause).exists():
        raise ValidationError({"clause": f"ISO/IEC 20000-1:2018 has no clause {clause}."})
    return tree.RequirementFilters(
        status=status or "",
        clause=clause or "",
        process=process or "",
        owner=owner,
        evidence=evidence or "",
    )


@router.get("/standards", response=list[StandardOut], summary="Standards in the catalogue")
def standard_list(request: HttpRequest) -> list[dict[str, Any]]:
    standards = Standard.objects.annotate(requirement_count=Count("requirements")).order_by("pk")
    return [
        {
            "key": s.key,
            "code": s.code,
            "edition": s.edition,
            "title": s.title,
            "data_version": s.data_version,
            "has_requirements": s.has_requirements,
            "requirement_count": s.requirement_count,  # type: ignore[attr-defined]
        }
        for s in standards
    ]


@router.get(
    "/orgs/{org}/requirements",
    response=list[RequirementOut],
    summary="ISO/IEC 20000-1 requirements with this organisation's conformity and evidence",
)
@paginate(PageNumberPagination, page_size=100)
def requirement_list(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    org: str,
    status: ConformityStatus | None = None,
    clause: str | None = None,
    process: str | None = None,
    owner: int | None = None,
    evidence: EvidenceFilter | None = None,
):
    organisation = request_org(request)
    today = tree.org_today(organisation)
    filters = _filters(status, clause, process, owner, evidence)
    rows = tree.build_rows(organisation, tree.filtered(organisation, filters, today), today)
    return [_row_out(row) for row in rows]


@router.get(
    "/orgs/{org}/requirements/{requirement_id}",
    response=RequirementDetailOut,
    summary="One requirement: guidance, crosswalks, conformity and evidence",
)
def requirement_detail(request: HttpRequest, org: str, requirement_id: int) -> dict[str, Any]:
    organisation = request_org(request)
    today = tree.org_today(organisation)
    requirement = get_object_or_404(
        Requirement.objects.with_org_state(organisation), pk=requirement_id
    )
    row = tree.build_rows(organisation, [requirement], today)[0]
    evidence_ids = (
        EvidenceItem.objects.filter(organisation=organisation)
        .live()
        .filter(requirements=requirement)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    crosswalks = [
        {
            "standard": str(group.standard),
            "standard_key": group.standard.key,
            "clause": clause,
            "relation": entry.relation,
            "note": entry.note,
        }
        for group in tree.crosswalk_groups(requirement)
        for clause, entry in group.crosswalks
    ]
    return {
        **_row_out(row),
        "guidance": requirement.guidance,
        "typical_evidence": requirement.typical_evidence,
        "documented_information": requirement.documented_information,
        "records": requirement.records,
        "common_findings": requirement.common_findings,
        "topics": requirement.topics,
        "crosswalks": crosswalks,
        "evidence_ids": list(evidence_ids),
        "children": list(requirement.children.order_by("position").values_list("pk", flat=True)),
    }


@router.put(
    "/orgs/{org}/requirements/{requirement_id}/conformity",
    response=ConformityOut,
    summary="Record this organisation's conformity with one requirement",
)
def conformity_put(
    request: HttpRequest, org: str, requirement_id: int, payload: ConformityIn
) -> dict[str, Any]:
    api_require(request, tree.can_assess_any, ASSESSORS_ONLY)
    requirement = get_object_or_404(Requirement.objects.all(), pk=requirement_id)
    tree.refuse_unassessable(request_membership(request), [requirement])
    [row] = actions.set_conformity(
        organisation=request_org(request),
        requirements=[requirement],
        status=payload.status,
        operated_by=payload.operated_by,
        operator_name=payload.operator_name,
        notes=payload.notes,
        assessed_by=request_membership(request).user,
    )
    return _conformity_out(requirement, row)


@router.post(
    "/orgs/{org}/conformity/bulk",
    response=list[ConformityOut],
    summary="Record the same assessment for several requirements (null fields are kept)",
)
def conformity_bulk(
    request: HttpRequest, org: str, payload: ConformityBulkIn
) -> list[dict[str, Any]]:
    api_require(request, tree.can_assess_any, ASSESSORS_ONLY)
    wanted = set(payload.requirement_ids)
    requirements = list(Requirement.objects.filter(pk__in=wanted))
    unknown = sorted(wanted - {r.pk for r in requirements})
    if unknown:
        raise ValidationError(
            {"requirement_ids": f"No such requirement: {', '.join(map(str, unknown))}."}
        )
    tree.refuse_unassessable(request_membership(request), requirements)
    rows = actions.set_conformity(
        organisation=request_org(request),
        requirements=requirements,
        status=payload.status,
        operated_by=payload.operated_by,
        operator_name=payload.operator_name,
        notes=payload.notes,
        assessed_by=request_membership(request).user,
    )
    return [_conformity_out(row.requirement, row) for row in rows]


def _export(
    request: HttpRequest,
    status: ConformityStatus | None,
    clause: str | None,
    process: str | None,
    owner: int | None,
    evidence: EvidenceFilter | None,
) -> Export:
    organisation = request_org(request)
    today = tree.org_today(organisation)
    filters = _filters(status, clause, process, owner, evidence)
    rows = tree.build_rows(organisation, tree.filtered(organisation, filters, today), today)
    return Export(organisation=organisation, rows=rows, filters=filters, today=today)


@router.get(
    "/orgs/{org}/conformity.csv",
    summary="The conformity table as CSV, in clause order",
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}}}},
)
def conformity_csv(
    request: HttpRequest,
    org: str,
    status: ConformityStatus | None = None,
    clause: str | None = None,
    process: str | None = None,
    owner: int | None = None,
    evidence: EvidenceFilter | None = None,
) -> HttpResponse:
    return _export(request, status, clause, process, owner, evidence).csv_response()


@router.get(
    "/orgs/{org}/conformity.xlsx",
    summary="The conformity table as an Excel workbook, in clause order",
    openapi_extra={"responses": {200: {"content": {XLSX_TYPE: {}}}}},
)
def conformity_xlsx(
    request: HttpRequest,
    org: str,
    status: ConformityStatus | None = None,
    clause: str | None = None,
    process: str | None = None,
    owner: int | None = None,
    evidence: EvidenceFilter | None = None,
) -> HttpResponse:
    return _export(request, status, clause, process, owner, evidence).xlsx_response()
