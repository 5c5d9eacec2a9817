from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from openitsms.jobs.models import Job
from openitsms.tenancy.access import org_view, request_membership


def _visible_jobs(request: HttpRequest):  # type: ignore[no-untyped-def]
    """People see the jobs they started; owners and managers see all of the organisation's."""
    jobs = Job.objects.select_related("created_by")
    if not request_membership(request).can_edit:
        jobs = jobs.filter(created_by=request.user)
    return jobs


@org_view()
def job_list(request: HttpRequest) -> HttpResponse:
    return render(request, "jobs/job_list.html", {"jobs": _visible_jobs(request)[:100]})


@org_view()
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_visible_jobs(request), pk=pk)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "jobs/job_detail.html#progress", {"job": job})
    return render(request, "jobs/job_detail.html", {"job": job})
