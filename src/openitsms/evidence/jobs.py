"""Verifying the organisation's evidence files as a background job, from the evidence list."""

from __future__ import annotations

from typing import Any

from openitsms.evidence.integrity import verify_files
from openitsms.evidence.models import EvidenceFile
from openitsms.jobs.actions import Progress, job_handler
from openitsms.jobs.models import Job


@job_handler("evidence_verify")
def verify_evidence_files(job: Job, progress: Progress) -> dict[str, Any]:
    checked, problems = verify_files(
        EvidenceFile.objects.filter(organisation=job.organisation), progress
    )
    return {
        "intact": not problems,
        "checked": checked,
        "problems": len(problems),
        # The job page lists these under the outcome.
        "own_problems": [str(p) for p in problems],
        "message": (
            f"Every evidence file is intact: {checked} file(s) re-hashed."
            if not problems
            else f"{len(problems)} of {checked} evidence file(s) are missing or altered. "
            "Upload the right file again as a new version, and ask your administrator to check "
            "the file storage."
        ),
    }
