"""The demo's two years of incidents, requests, problems and changes tell their story on the
services demo's catalogue and agreements, and a second run changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count
from django.utils import timezone

from openitsms.audit.models import AuditEvent
from openitsms.operations import demo
from openitsms.operations.kpis import monthly_kpis
from openitsms.operations.models import ColumnMapping, ImportRun, Record, Rollup
from openitsms.operations.recurring import problem_candidates
from openitsms.operations.trends import control_limits
from openitsms.services import demo as services_demo
from openitsms.services.models import Agreement, Outage
from openitsms.tenancy.scoping import org_scope

pytestmark = pytest.mark.django_db


def _first_of_month(months_back: int, zone: str) -> date:
    today = timezone.now().astimezone(ZoneInfo(zone)).date()
    index = today.year * 12 + today.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _snapshot() -> tuple[int, ...]:
    return (
        Record.objects.count(),
        ImportRun.objects.count(),
        ColumnMapping.objects.count(),
        Rollup.objects.count(),
        AuditEvent.objects.count(),
        max(Record.objects.values_list("pk", flat=True)),
    )


def test_demo_tells_its_story_through_four_imports_and_a_second_run_changes_nothing(
    org, manager, process_owner
):
    people = {"manager": manager, "process_owner": process_owner}
    with org_scope(org):
        services_demo.populate(org, people)
        demo.populate(org, people)

        runs = {run.kind: run for run in ImportRun.objects.all()}
        assert {kind: run.status for kind, run in runs.items()} == {
            "incident": "succeeded",
            "request": "succeeded",
            "problem": "succeeded",
            "change": "succeeded",
        }
        assert {run.mapping_name for run in runs.values()} == {
            "Demo helpdesk incidents",
            "Demo helpdesk requests",
            "Demo helpdesk problems",
            "Demo helpdesk changes",
        }
        counts = dict(Record.objects.values_list("kind").annotate(n=Count("pk")))
        assert counts == {kind: run.created for kind, run in runs.items()}
        assert 3000 < counts["incident"] < 5000
        assert 2500 < counts["request"] < 4500
        assert 20 < counts["problem"] < 60
        assert 300 < counts["change"] < 700

        # Two years ending last month, busier in January than in August.
        months = monthly_kpis(kind="incident")
        opened = {m.month: m.opened for m in months if m.opened}
        assert len(opened) == 24
        assert max(opened) == _first_of_month(1, org.time_zone)
        january = [n for month, n in opened.items() if month.month == 1]
        august = [n for month, n in opened.items() if month.month == 8]
        assert sum(january) / len(january) > 1.3 * sum(august) / len(august)
        # The noisy service.
        by_service = dict(
            Record.objects.filter(kind="incident")
            .values_list("service_name")
            .annotate(n=Count("pk"))
        )
        assert by_service[demo.EMAIL] > counts["incident"] / 3
        assert max(by_service, key=by_service.__getitem__) == demo.EMAIL

        # Every incident is on a catalogue service, measured against the demo SLA once in force.
        assert not Record.objects.filter(kind="incident", service=None).exists()
        sla = Agreement.objects.get(reference="SLA-001")
        in_force = datetime.combine(sla.valid_from, datetime.min.time(), UTC) + timedelta(days=1)
        email = Record.objects.filter(
            kind="incident", service__name=demo.EMAIL, opened_at__gte=in_force
        )
        assert email.count() > 500
        assert not email.exclude(sla_agreement=sla).exists()
        assert not Record.objects.filter(sla_note__startswith="history problem").exists()

        # A month of SLA breaches: the month before last, flagged by the control chart.
        breach = _first_of_month(2, org.time_zone)
        index = next(i for i, m in enumerate(months) if m.month == breach)
        within = [m.resolution_within_pct for m in months]
        others = [v for i, v in enumerate(within) if v is not None and i != index]
        assert within[index] is not None and within[index] < min(others) - 5
        assert min(others) > 80
        assert "beyond_limits" in control_limits(within).flags[index]
        responded = [m.response_within_pct for m in months]
        assert "beyond_limits" in control_limits(responded).flags[index]

        # CHG-DEMO-7: a normal change that failed, was rolled back and caused a burst.
        change = Record.objects.get(kind="change", source_id=demo.DEMO_CHANGE)
        assert (change.change_type, change.outcome, change.rolled_back) == (
            "normal",
            "unsuccessful",
            True,
        )
        assert (change.approval, change.cab_required, change.status) == ("approved", True, "closed")
        assert change.planned_start < change.planned_end
        assert change.actual_start < change.actual_end
        burst = Record.objects.filter(kind="incident", caused_by_change_ref=demo.DEMO_CHANGE)
        assert burst.count() >= 8
        assert burst.filter(priority="P1").exists()
        assert set(burst.values_list("service_name", flat=True)) == {demo.PORTAL}
        for incident in burst:
            assert change.actual_start < incident.opened_at < change.actual_end + timedelta(days=3)
        (burst_problem,) = set(burst.values_list("problem_ref", flat=True))
        fix = Record.objects.get(
            kind="change",
            source_id=Record.objects.get(kind="problem", source_id=burst_problem).change_ref,
        )
        assert fix.outcome == "successful" and fix.planned_start > change.actual_end

        # The recurring fault is a known error with its incidents linked, fixed by a change.
        login = Record.objects.get(kind="problem", title="Portal login times out at peak load")
        assert login.known_error and login.root_cause and login.workaround
        assert login.status == "closed"
        linked = Record.objects.filter(kind="incident", problem_ref=login.source_id)
        assert linked.count() >= 30
        assert set(linked.values_list("configuration_item", flat=True)) == {"portal-web-02"}
        assert not Record.objects.filter(
            kind="incident", title="Login page times out", problem_ref=""
        ).exists()
        login_fix = Record.objects.get(kind="change", source_id=login.change_ref)
        assert login_fix.outcome == "successful"
        assert linked.order_by("-opened_at").first().opened_at < login_fix.planned_start

        # Problems: root causes for most, an open known error, unfixed ones without a cause.
        problems = Record.objects.filter(kind="problem")
        assert problems.exclude(root_cause="").count() > problems.count() / 2
        assert problems.filter(known_error=True, status="in_progress").exists()
        assert problems.filter(root_cause="", status="closed").exists()
        assert problems.exclude(change_ref="").count() > 10
        linked_to = Record.objects.filter(kind="incident").exclude(problem_ref="")
        problem_refs = set(linked_to.values_list("problem_ref", flat=True))
        assert problem_refs <= set(problems.values_list("source_id", flat=True))

        # Changes of every type and outcome, some rolled back, some rejected.
        changes = Record.objects.filter(kind="change")
        assert set(changes.values_list("change_type", flat=True)) == {
            "normal",
            "standard",
            "emergency",
        }
        assert set(changes.exclude(outcome="").values_list("outcome", flat=True)) == {
            "successful",
            "successful_with_issues",
            "unsuccessful",
        }
        assert changes.filter(rolled_back=True).count() >= 3
        assert changes.filter(approval="rejected", status="cancelled").exists()
        assert not changes.filter(change_type="standard", cab_required=True).exists()
        assert changes.exclude(actual_start=None).filter(actual_end=None).count() == 0
        caused = set(
            Record.objects.exclude(caused_by_change_ref="").values_list(
                "caused_by_change_ref", flat=True
            )
        )
        assert len(caused) > 3 and caused <= set(changes.values_list("source_id", flat=True))

        # Requests: fulfilled through the catalogue, some not (a value map of the mapping).
        requests = Record.objects.filter(kind="request")
        assert requests.filter(status="cancelled", source_status="Closed Incomplete").exists()
        assert requests.filter(service__name=demo.EMAIL).exclude(sla_agreement=None).exists()

        # The services demo's outages have their incidents and changes, by number.
        outages = Outage.objects.all()
        assert {o.incident_ref for o in outages if o.incident_ref} <= set(
            Record.objects.filter(kind="incident").values_list("source_id", flat=True)
        )
        assert {o.change_ref for o in outages if o.change_ref} <= set(
            changes.values_list("source_id", flat=True)
        )

        # A recurring fault not raised yet leads the problem candidates.
        candidates = problem_candidates()
        assert candidates[0].what == "fw-edge-02" and "VPN" in candidates[0].text
        assert len(candidates[0].incidents) >= 8
        assert len(candidates) < 40

        before = _snapshot()
        demo.populate(org, people)
        assert _snapshot() == before
