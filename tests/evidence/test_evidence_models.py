"""Freshness of evidence, and the organisation scope of its queries."""

from datetime import date

import pytest

from openitsms.evidence.choices import Freshness
from openitsms.evidence.models import EvidenceItem
from openitsms.tenancy.scoping import org_scope
from tests.evidence.helpers import days, item

TODAY = date(2026, 6, 15)


def _item(**kw):
    return EvidenceItem(title="x", kind="record", **kw)


@pytest.mark.parametrize(
    ("fields", "expires", "freshness"),
    [
        ({"effective_on": date(2026, 1, 1)}, None, Freshness.UNDATED),
        (
            {"effective_on": date(2026, 1, 1), "valid_until": date(2026, 6, 14)},
            date(2026, 6, 14),
            Freshness.STALE,
        ),
        (
            {"effective_on": date(2026, 1, 1), "valid_until": date(2026, 6, 15)},
            date(2026, 6, 15),
            Freshness.DUE_SOON,
        ),
        (
            {"effective_on": date(2026, 1, 1), "valid_until": date(2026, 7, 15)},
            date(2026, 7, 15),
            Freshness.DUE_SOON,
        ),
        (
            {"effective_on": date(2026, 1, 1), "valid_until": date(2026, 7, 16)},
            date(2026, 7, 16),
            Freshness.CURRENT,
        ),
        (
            {"effective_on": date(2025, 6, 1), "review_interval_days": 365},
            date(2026, 6, 1),
            Freshness.STALE,
        ),
        (
            {"effective_on": date(2026, 6, 1), "review_interval_days": 365},
            date(2027, 6, 1),
            Freshness.CURRENT,
        ),
        # An explicit end of validity wins over the renewal interval.
        (
            {
                "effective_on": date(2026, 6, 1),
                "valid_until": date(2026, 6, 20),
                "review_interval_days": 365,
            },
            date(2026, 6, 20),
            Freshness.DUE_SOON,
        ),
    ],
)
def test_freshness_follows_validity_or_renewal_interval(fields, expires, freshness):
    evidence = _item(**fields)
    evidence.expires_on = evidence.compute_expiry()
    assert evidence.expires_on == expires
    assert evidence.freshness(TODAY) == freshness


def test_expiry_is_stored_on_save_and_the_queryset_filters_agree(org):
    stale = item(org, title="stale", effective_on=days(-400), review_interval_days=365)
    soon = item(org, title="soon", effective_on=days(-10), valid_until=days(10))
    current = item(org, title="current", effective_on=days(-10), valid_until=days(200))
    undated = item(org, title="undated", effective_on=days(-10))
    assert stale.expires_on == days(-35)
    with org_scope(org):
        for wanted, expected in [
            (Freshness.STALE, stale),
            (Freshness.DUE_SOON, soon),
            (Freshness.CURRENT, current),
            (Freshness.UNDATED, undated),
        ]:
            assert list(EvidenceItem.objects.with_freshness(wanted)) == [expected]
            assert expected.freshness() == wanted


def test_evidence_queries_are_scoped_to_the_current_organisation(org, other_org):
    mine = item(org, title="mine")
    item(other_org, title="theirs")
    with org_scope(org):
        assert list(EvidenceItem.objects.all()) == [mine]


def test_clause_filter_includes_sub_clauses(org):
    from tests.evidence.helpers import req

    child = item(org, title="child", requirements=[req("8.2.1")])
    item(org, title="other", requirements=[req("9.1")])
    with org_scope(org):
        assert list(EvidenceItem.objects.for_clause("8.2")) == [child]
        assert list(EvidenceItem.objects.for_clause("8.2.1")) == [child]
        assert list(EvidenceItem.objects.for_clause("8")) == [child]
