"""The audit-chain verification as a background job, started from the audit log page."""

from __future__ import annotations

from typing import Any

from openitsms.audit.chain import verify_chain
from openitsms.audit.models import AuditEvent
from openitsms.jobs.actions import Progress, job_handler
from openitsms.jobs.models import Job


@job_handler("audit_verify")
def verify_audit_chain(job: Job, progress: Progress) -> dict[str, Any]:
    checked, problems = verify_chain(progress)
    # The chain is shared by all organisations: name only this organisation's entries.
    own = set(
        AuditEvent.objects.for_org(job.organisation)
        .filter(seq__in=[p.seq for p in problems])
        .values_list("seq", flat=True)
    )
    return {
        "intact": not problems,
        "checked": checked,
        "problems": len(problems),
        "own_problems": [str(p) for p in problems if p.seq in own],
        "message": (
            f"The audit trail is intact: {checked} entries checked."
            if not problems
            else f"The audit trail is broken: {len(problems)} problem(s) in {checked} entries. "
            "Ask your administrator to run `itsms audit verify`."
        ),
    }
