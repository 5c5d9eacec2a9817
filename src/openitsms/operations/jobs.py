"""Imports as background jobs: the page uploads, the job imports with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openitsms.jobs.actions import Progress, job_handler
from openitsms.jobs.models import Job
from openitsms.operations.actions import run_import
from openitsms.operations.choices import RunStatus
from openitsms.operations.models import ColumnMapping, ImportRun


@job_handler("operations_import")
def import_file(job: Job, progress: Progress) -> dict[str, Any]:
    params = job.params
    run = ImportRun.objects.get(pk=params["run_id"])
    mapping = (
        ColumnMapping.objects.filter(pk=params["mapping_id"]).first()
        if params.get("mapping_id")
        else None
    )
    path = Path(run.upload_path)
    try:
        run = run_import(
            organisation=job.organisation,
            user=job.created_by,
            file=path,
            source=run.source,
            kind=run.kind,
            mapping=mapping,
            dry_run=run.dry_run,
            tz=run.time_zone,
            date_order=run.date_order or None,
            file_name=run.file_name,
            progress=progress,
            run=run,
        )
    except Exception as error:
        failed = ImportRun.objects.get(pk=run.pk)
        failed.status = RunStatus.FAILED
        failed.message = (
            f"The import stopped on an unexpected error ({type(error).__name__}); "
            "nothing was stored. Tell your administrator."
        )
        failed.save()
        raise
    finally:
        path.unlink(missing_ok=True)
        # Bookkeeping only (excluded from the audit trail): the upload is gone.
        ImportRun.objects.filter(pk=run.pk).update(upload_path="")
    return {
        "run_id": run.pk,
        "status": run.status,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "rejected": run.rejected,
        "message": run.message,
    }
