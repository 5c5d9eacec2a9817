from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from openitsms.jobs.actions import start_job
from openitsms.jobs.choices import JobStatus
from openitsms.jobs.models import Job
from openitsms.tenancy.access import request_membership, request_org

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: int
    kind: str
    title: str
    status: JobStatus
    percent: int
    progress_done: int
    progress_total: int
    message: str
    result: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    created_by: str | None

    @staticmethod
    def resolve_created_by(obj: Job) -> str | None:
        return obj.created_by.username if obj.created_by else None


def _visible(request: HttpRequest):  # type: ignore[no-untyped-def]
    jobs = Job.objects.select_related("created_by")
    if not request_membership(request).can_edit:
        jobs = jobs.filter(created_by=request.auth)  # type: ignore[attr-defined]
    return jobs


@router.post(
    "/orgs/{org}/jobs/audit-verify", response={202: JobOut}, summary="Verify the audit trail"
)
def job_audit_verify(request: HttpRequest, org: str) -> Status:
    job = start_job(
        organisation=request_org(request),
        user=request.auth,  # type: ignore[attr-defined]
        kind="audit_verify",
        title="Verify the audit trail",
    )
    return Status(202, job)


@router.get("/orgs/{org}/jobs", response=list[JobOut], summary="Background jobs")
@paginate(PageNumberPagination)
def job_list(request: HttpRequest, org: str):  # type: ignore[no-untyped-def]
    return _visible(request)


@router.get("/orgs/{org}/jobs/{job_id}", response=JobOut, summary="One job's progress and outcome")
def job_detail(request: HttpRequest, org: str, job_id: int) -> Job:
    return get_object_or_404(_visible(request), pk=job_id)
