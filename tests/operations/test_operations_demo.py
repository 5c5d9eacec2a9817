"""The demo's two years of incidents tell their story, and a second run adds nothing."""

from __future__ import annotations

import pytest

from openitsms.operations import demo
from openitsms.operations.kpis import monthly_kpis
from openitsms.operations.models import ImportRun, Record
from openitsms.operations.recurring import problem_candidates
from openitsms.tenancy.scoping import org_scope

pytestmark = pytest.mark.django_db


def test_demo_imports_two_years_with_a_recurring_fault_and_a_change_that_caused_incidents(
    org, manager
):
    with org_scope(org):
        demo.populate(org, {"manager": manager})
        demo.populate(org, {"manager": manager})

        run = ImportRun.objects.get()
        assert run.status == "succeeded", run.message
        months = monthly_kpis(kind="incident")
        assert sum(1 for m in months if m.opened) == 24
        assert Record.objects.count() == run.created > 2000
        assert Record.objects.filter(caused_by_change_ref="CHG-DEMO-7").exists()
        assert any(c.what == "PORTAL-LOGIN" for c in problem_candidates())
        opened = {m.month.month: m.opened for m in months if m.opened}
        assert opened[1] > opened[8]  # seasonality
