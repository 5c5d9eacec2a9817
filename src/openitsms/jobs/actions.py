"""Starting jobs and running them in a worker through Django's task API."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from openitsms.audit.context import Actor, acting_as, actor_for_user
from openitsms.jobs.choices import JobStatus
from openitsms.jobs.models import Job
from openitsms.tenancy.models import Organisation
from openitsms.tenancy.scoping import org_scope

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Handler = Callable[[Job, Progress], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that does the work of jobs of ``kind``."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def start_job(
    *,
    organisation: Organisation,
    user: Any,
    kind: str,
    title: str,
    params: dict[str, Any] | None = None,
) -> Job:
    if kind not in HANDLERS:
        raise ValueError(f"Unknown job kind {kind!r}.")
    job = Job.all_orgs.create(
        organisation=organisation, created_by=user, kind=kind, title=title, params=params or {}
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    result = run_job.enqueue(job_id)
    Job.all_orgs.filter(pk=job_id).update(task_id=str(result.id))


def _progress_writer(job: Job) -> Progress:
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        # At most a few writes a second: progress is for people, not for the database.
        if now - last[0] < 0.25 and done < total:
            return
        last[0] = now
        Job.all_orgs.filter(pk=job.pk).update(progress_done=done, progress_total=total)

    return report


@task()
def run_job(job_id: int) -> str:
    job = Job.all_orgs.select_related("organisation", "created_by").get(pk=job_id)
    if job.is_finished:
        return job.status
    Job.all_orgs.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    actor = (
        actor_for_user(job.created_by, via=f"job {job.pk}")
        if job.created_by
        else Actor(None, f"job {job.pk}")
    )
    handler = HANDLERS.get(job.kind)
    try:
        if handler is None:
            raise LookupError(f"No handler for jobs of kind {job.kind!r}.")
        with org_scope(job.organisation), acting_as(actor):
            result = handler(job, _progress_writer(job))
    except Exception as exc:
        log.exception("job %s failed", job.pk)
        Job.all_orgs.filter(pk=job.pk).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            message=f"{type(exc).__name__}: {exc}",
            result={"error": type(exc).__name__},
        )
        return JobStatus.FAILED
    Job.all_orgs.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED,
        finished_at=timezone.now(),
        result=result,
        message=str(result.get("message", "")),
    )
    return JobStatus.SUCCEEDED
