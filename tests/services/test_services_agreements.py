"""Agreements and their targets: units normalised to seconds, zero refused, the strictest
target wins, expired agreements and overdue reviews flagged."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from openitsms.services import actions
from openitsms.services.models import (
    Agreement,
    AvailabilityTarget,
    MeasurableTarget,
    Party,
    TimeTarget,
    strictest_target,
)
from openitsms.tenancy.scoping import org_scope


def _target(agreement, amount, unit, priority="P2", kind="resolution", request_type=""):  # type: ignore[no-untyped-def]
    return actions.save_time_target(
        target=TimeTarget(
            kind=kind,
            priority=priority,
            request_type=request_type,
            amount=Decimal(amount),
            unit=unit,
        ),
        agreement=agreement,
    )


@pytest.mark.parametrize(
    ("amount", "unit", "seconds", "label"),
    [
        ("30", "minutes", 1800, "30 minutes"),
        ("1", "minutes", 60, "1 minute"),
        ("1.5", "hours", 5400, "1.5 hours"),
        ("2", "business_days", 2 * 8 * 3600, "2 business days"),
        ("0.5", "business_days", 4 * 3600, "0.5 business days"),
    ],
)
def test_targets_are_kept_as_entered_and_in_seconds_of_service_time(
    org, sla, amount, unit, seconds, label
) -> None:
    with org_scope(org):
        target = _target(sla, amount, unit)
    assert target.seconds == seconds and target.amount_label == label
    assert target.to_target().seconds == seconds


@pytest.mark.parametrize("amount", ["0", "-4"])
def test_a_target_of_zero_or_less_is_refused_on_the_amount(org, sla, amount) -> None:
    with org_scope(org), pytest.raises(ValidationError) as refused:
        _target(sla, amount, "hours")
    assert refused.value.message_dict == {"amount": ["Enter a target above zero."]}
    assert not TimeTarget.objects.filter(priority="P2").exists()


def test_the_database_refuses_a_zero_target_by_its_named_constraint(org, sla) -> None:
    with org_scope(org), transaction.atomic(), pytest.raises(IntegrityError):
        TimeTarget.objects.create(
            agreement=sla,
            kind="response",
            priority="P9",
            amount=Decimal(1),
            unit="hours",
            seconds=0,
        )


def test_business_days_need_a_calendar_with_working_hours(org, sla) -> None:
    with org_scope(org):
        _target(sla, "1", "business_days")
        empty = actions.save_calendar(
            calendar=sla.calendar.__class__(name="Empty", time_zone="UTC"), organisation=org
        )
        sla.calendar = empty
        with pytest.raises(ValidationError) as refused:
            actions.save_agreement(agreement=sla, organisation=org)
    assert "no working hours" in refused.value.message_dict["unit"][0]


def test_changing_the_calendar_recomputes_business_day_targets(org, sla) -> None:
    with org_scope(org):
        target = _target(sla, "1", "business_days")
        long_days = actions.save_calendar(
            calendar=sla.calendar.__class__(name="Long days", time_zone="Europe/London"),
            organisation=org,
        )
        actions.add_segments(
            calendar=long_days, weekdays=range(5), starts_at=time(8), ends_at=time(20)
        )
        sla.calendar = long_days
        actions.save_agreement(agreement=sla, organisation=org)
    target.refresh_from_db()
    assert target.seconds == 12 * 3600


def test_one_target_per_clock_priority_and_request_type(org, sla) -> None:
    with org_scope(org):
        with pytest.raises(ValidationError, match="already has this target"):
            _target(sla, "2", "hours", priority="P1")
        _target(sla, "1", "hours", priority="P1", request_type="Password reset")


def test_the_strictest_matching_target_of_several_agreements_wins(org, sla, office, portal) -> None:
    with org_scope(org):
        ola = actions.save_agreement(
            agreement=Agreement(
                reference="OLA-001",
                title="Network team",
                kind="ola",
                valid_from=date(2024, 1, 1),
                calendar=office,
            ),
            organisation=org,
            services=[portal],
        )
        generic = _target(ola, "6", "hours", priority="P1")
        specific = _target(ola, "2", "hours", priority="P1", request_type="Password reset")
        _target(ola, "1", "hours", priority="P1", kind="response")
        agreements = list(Agreement.objects.applicable_to(portal, date(2024, 6, 1)))
        assert {a.reference for a in agreements} == {"SLA-001", "OLA-001"}

        plain = strictest_target(agreements, kind="resolution", priority="P1")
        reset = strictest_target(
            agreements, kind="resolution", priority="P1", request_type="Password reset"
        )
        nothing = strictest_target(agreements, kind="resolution", priority="P4")
    assert plain is not None and plain.agreement == sla and plain.target.seconds == 4 * 3600
    assert reset is not None and reset.time_target == specific and reset.agreement == ola
    assert nothing is None
    assert generic.seconds == 6 * 3600


def test_expired_agreements_and_overdue_reviews_are_flagged(org, sla) -> None:
    today = timezone.localdate()
    with org_scope(org):
        sla.valid_until = today - timedelta(days=1)
        sla.review_due = today - timedelta(days=10)
        actions.save_agreement(agreement=sla, organisation=org)
        codes = {flag.code for flag in sla.flags(today)}
        assert {"expired", "review_overdue"} <= codes
        assert sla.status(today) == "expired"
        assert list(Agreement.objects.expired(today)) == [sla]
        assert list(Agreement.objects.review_overdue(today)) == [sla]
        assert list(Agreement.objects.in_force(today)) == []


def test_an_sla_without_a_customer_or_targets_is_flagged(org, office) -> None:
    with org_scope(org):
        supplier = actions.save_party(party=Party(name="Acme", kind="supplier"), organisation=org)
        agreement = actions.save_agreement(
            agreement=Agreement(
                reference="SLA-9",
                title="Thin",
                kind="sla",
                valid_from=date(2024, 1, 1),
                calendar=office,
            ),
            organisation=org,
            parties=[supplier],
        )
        codes = {flag.code for flag in agreement.flags()}
    assert {"no_party", "no_services", "no_targets", "no_review_date"} <= codes


def test_an_agreement_cannot_end_before_it_starts(org, office) -> None:
    with org_scope(org), pytest.raises(ValidationError, match="cannot end before it starts"):
        actions.save_agreement(
            agreement=Agreement(
                reference="SLA-X",
                title="Backwards",
                kind="sla",
                valid_from=date(2024, 6, 1),
                valid_until=date(2024, 5, 1),
                calendar=office,
            ),
            organisation=org,
        )


def test_references_are_unique_within_an_organisation_only(org, other_org, sla) -> None:
    with org_scope(org), pytest.raises(ValidationError, match="already has this reference"):
        actions.save_agreement(
            agreement=Agreement(
                reference="SLA-001",
                title="Again",
                kind="sla",
                valid_from=date(2024, 1, 1),
                calendar=sla.calendar,
            ),
            organisation=org,
        )
    with org_scope(other_org):
        theirs = actions.save_agreement(
            agreement=Agreement(
                reference="SLA-001",
                title="Theirs",
                kind="sla",
                valid_from=date(2024, 1, 1),
                calendar=actions.ensure_builtin_calendar(organisation=other_org),
            ),
            organisation=other_org,
        )
    assert theirs.pk != sla.pk


def test_links_to_another_organisations_records_are_refused(org, other_org, sla) -> None:
    with org_scope(other_org):
        foreign = actions.save_party(
            party=Party(name="Spy", kind="customer"), organisation=other_org
        )
    with org_scope(org), pytest.raises(ValidationError) as refused:
        actions.save_agreement(agreement=sla, organisation=org, parties=[foreign])
    assert "parties" in refused.value.message_dict


def test_availability_and_measurable_targets(org, sla) -> None:
    with org_scope(org):
        with pytest.raises(ValidationError, match="more than 0 % and at most 100 %"):
            actions.save_availability_target(
                target=AvailabilityTarget(period="year", percent=Decimal("100.5")), agreement=sla
            )
        satisfaction = actions.save_measurable_target(
            target=MeasurableTarget(
                name="Customer satisfaction", comparator="gte", value=Decimal("4.2"), unit="of 5"
            ),
            agreement=sla,
        )
    assert str(satisfaction) == "Customer satisfaction ≥ 4.2 of 5"
    assert satisfaction.is_met(Decimal("4.2")) and not satisfaction.is_met(Decimal("4.1"))


def test_the_clock_policy_comes_from_the_agreement(org, sla) -> None:
    policy = sla.clock_policy(
        stop_statuses_response={"Active"}, stop_statuses_resolution={"Resolved"}
    )
    assert policy.pause_statuses == frozenset({"Awaiting customer"})
    assert policy.reopen == "resume"
