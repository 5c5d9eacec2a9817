"""The demo organisations get the audit and improvement story, once, and every page renders."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import get_resolver

from openitsms.audits.coverage import programme_coverage
from openitsms.audits.models import Audit, AuditProgramme, CertificationCycle, ExternalAudit
from openitsms.catalogue.tree import org_today
from openitsms.improvement.choices import NoteKind
from openitsms.improvement.models import Action, Improvement, Nonconformity
from openitsms.tenancy.models import Membership, Organisation
from openitsms.tenancy.scoping import org_scope


@pytest.fixture
def demo(db):
    call_command("demo", stdout=StringIO())
    return Organisation.objects.get(slug="northwind")


def _counts():
    return tuple(
        m.all_orgs.count()
        for m in (Nonconformity, Action, Improvement, Audit, CertificationCycle, ExternalAudit)
    )


def test_the_demo_tells_the_whole_story(demo):
    org = demo
    today = org_today(org)
    with org_scope(org):
        ncs = Nonconformity.objects.all()
        assert ncs.overdue(today).count() == 1
        closed = ncs.closed()
        assert closed.exists()
        assert all(nc.checks.filter(result="passed").exists() for nc in closed)
        refused = ncs.filter(notes__kind=NoteKind.CLOSURE_REFUSED)
        assert refused.count() == 1 and refused.get().status == "open"
        assert ncs.filter(audit_finding__isnull=False).exists()
        assert Improvement.objects.filter(status="completed").exists()
        assert Improvement.objects.filter(audit_findings__isnull=False).exists()

        programme = AuditProgramme.objects.get()
        coverage = programme_coverage(programme, today)
        assert 60 <= coverage.elapsed <= 70  # two thirds through
        assert coverage.process_gaps and coverage.clause_gaps
        assert Audit.objects.filter(status="completed").count() == 4
        assert Audit.objects.filter(status="planned").count() == 1

        cycle = CertificationCycle.objects.get()
        s2 = cycle.audits.get(kind="surveillance2")
        assert s2.status == "planned" and s2.window_target >= today
        assert s2.preparation.count() == 8


def test_the_demo_runs_again_without_duplicates(demo):
    before = _counts()
    call_command("demo", stdout=StringIO())
    assert _counts() == before


def test_every_page_of_audits_and_improvement_renders_with_the_demo(demo):
    owner = Membership.objects.get(organisation=demo, role="owner").user
    client = Client()
    client.force_login(owner)
    ids = {}
    for model in (
        "improvement.Action",
        "improvement.Nonconformity",
        "improvement.Improvement",
        "improvement.ImprovementTarget",
        "improvement.EffectivenessCheck",
        "audits.AuditProgramme",
        "audits.Audit",
        "audits.Finding",
        "audits.CertificationCycle",
        "audits.ExternalAudit",
        "audits.ExternalFinding",
        "audits.PreparationItem",
        "audits.ChecklistItem",
    ):
        from django.apps import apps

        ids[model] = list(
            apps.get_model(model)
            .all_orgs.filter(organisation=demo)
            .values_list("pk", flat=True)[:3]
        )
    checked = 0
    for namespace in ("improvement", "audits"):
        resolver = get_resolver().namespace_dict[namespace][1]
        for pattern in resolver.url_patterns:
            route = str(pattern.pattern)
            url = "/" + route.replace("<slug:org_slug>", demo.slug)
            if "<int:pk>" in route:
                pks = set().union(*ids.values())
                urls = [url.replace("<int:pk>", str(pk)) for pk in sorted(pks)]
            else:
                urls = [url]
            for u in urls:
                response = client.get(u)
                assert response.status_code in {200, 302, 404, 405}, (u, response.status_code)
                checked += 1
    assert checked > 50
