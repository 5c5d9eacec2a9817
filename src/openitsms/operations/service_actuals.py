"""Ticket actuals for the service report (:mod:`openitsms.services.reports`).

:func:`time_target_actuals` has the signature and results of the placeholder of the same
name in ``services/reports.py``. A ticket counts against a time target when the import's
SLA clock measured it against that very target (its agreement and priority, the strictest
applicable one); resolution targets count the tickets resolved in ``[start, end)``,
response targets those opened in it. Breaches list the overrun in business seconds.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from openitsms.operations.models import Record
from openitsms.services.models import Agreement, Service
from openitsms.services.reports import BreachedTicket, TimeTargetActual

NO_TICKETS = (
    "No imported incident or request was measured against this target in the month: import "
    "them on the Operations pages, with the service named as in the catalogue."
)


def time_target_actuals(
    *, service: Service, agreement: Agreement, start: datetime, end: datetime
) -> list[TimeTargetActual]:
    """Per time target of ``agreement``: tickets measured against it, how many met it, and
    the breaches (see the module docstring)."""
    results: list[TimeTargetActual] = []
    for target in agreement.time_targets.all():
        moment = "resolved_at" if target.kind == "resolution" else "opened_at"
        rows = list(
            Record.objects.filter(
                service=service,
                sla_agreement=agreement,
                priority=target.priority,
                kind__in=("incident", "request"),
                **{
                    f"{moment}__gte": start,
                    f"{moment}__lt": end,
                    f"{target.kind}_target_s": target.seconds,
                    f"{target.kind}_breached__isnull": False,
                },
            )
            .order_by("source_id")
            .values_list("source_id", f"{target.kind}_breached", f"{target.kind}_business_s", "pk")
        )
        if not rows:
            results.append(TimeTargetActual(time_target=target, has_data=False, note=NO_TICKETS))
            continue
        within = sum(1 for _id, breached, _s, _pk in rows if not breached)
        breaches = tuple(
            BreachedTicket(
                number=source_id,
                overrun_s=max(0, (elapsed or 0) - target.seconds),
                record_id=pk,
            )
            for source_id, breached, elapsed, pk in rows
            if breached
        )
        percent = (Decimal(100 * within) / len(rows)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
        results.append(
            TimeTargetActual(
                time_target=target,
                has_data=True,
                tickets=len(rows),
                within_target=within,
                percent_within=percent,
                breaches=breaches,
            )
        )
    return results
