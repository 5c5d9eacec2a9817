"""One record of every audits model for the organisation-wall walk (tests/test_org_wall.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from openitsms.audits import actions
from openitsms.audits.models import AuditProgramme, CertificationCycle
from openitsms.catalogue.models import Requirement
from openitsms.catalogue.tree import org_today
from openitsms.processes.models import Process


def populate_victim(org: Any, owner: Any) -> None:
    today = org_today(org)
    cycle = actions.save_cycle(
        cycle=CertificationCycle(
            certification_body="secret-victim-note body",
            certificate_number="SECRET-1",
            scope="secret-victim-note",
            decision_on=today - timedelta(days=200),
        ),
        organisation=org,
    )
    s1 = cycle.audits.get(kind="surveillance1")  # with its preparation checklist
    actions.record_external_finding(
        external_audit=s1, by=owner, grade="minor_nc", description="secret-victim-note"
    )
    process = Process(
        organisation=org, slug="victim-audited", name="Victim audited", kind="operational"
    )
    process.save()
    programme = actions.save_programme(
        programme=AuditProgramme(
            title="secret-victim-note programme",
            cycle=cycle,
            starts_on=today - timedelta(days=200),
            ends_on=today + timedelta(days=900),
        ),
        organisation=org,
    )
    actions.set_focus(programme=programme, process=process, importance=3)
    audit = actions.create_audit(
        programme=programme,
        fields={
            "title": "secret-victim-note audit",
            "lead_auditor": owner,
            "starts_on": today,
            "ends_on": today,
        },
        clauses=[Requirement.objects.primary().get(number="9.2")],
        processes=[process],
    )
    actions.record_finding(
        audit=audit, by=owner, grade="ofi", title="secret-victim-note", description="x"
    )
