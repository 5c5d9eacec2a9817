"""The services demo: a catalogue, agreements of every kind, two calendars in different time
zones and a year of outages with one month that misses its target; idempotent."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from openitsms.services.availability import availability_trend
from openitsms.services.models import Agreement, Calendar, Outage, Service
from openitsms.tenancy.models import Organisation
from openitsms.tenancy.scoping import org_scope


def _counts() -> tuple[int, ...]:
    return tuple(model.all_orgs.count() for model in (Service, Agreement, Calendar, Outage))


def test_the_demo_builds_the_services_of_both_organisations_once(db) -> None:
    call_command("demo", stdout=StringIO())
    counts = _counts()
    call_command("demo", stdout=StringIO())
    assert _counts() == counts

    for org in Organisation.objects.all():
        with org_scope(org), timezone.override(org.time_zone):
            kinds = set(Agreement.objects.values_list("kind", flat=True))
            assert kinds == {"sla", "ola", "uc"}
            zones = set(
                Calendar.objects.filter(is_builtin=False).values_list("time_zone", flat=True)
            )
            assert zones == {"Europe/London", "America/New_York"}
            portal = Service.objects.get(name="Customer portal")
            today = timezone.localdate()
            last_month = today.replace(day=1) - timezone.timedelta(days=1)
            trend = availability_trend(portal, ending=last_month)
            results = [row.target_met for row in trend]
            assert results.count(False) == 1, [(r.period.key, r.figures.percent) for r in trend]
            assert results.count(True) == 11
            assert all(row.figures.outages >= 1 for row in trend)
            first = Outage.objects.order_by("starts_at").first()
            assert first is not None and first.starts_at.date() >= trend[
                0
            ].period.first_day.replace(day=1)
