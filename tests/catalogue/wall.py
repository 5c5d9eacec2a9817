"""The catalogue's records of a victim organisation, for tests/test_org_wall.py."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from openitsms.catalogue.models import Conformity, Requirement


def populate_victim(org: Any, owner: Any) -> None:
    """One Conformity (the only per-organisation model of the catalogue), with a marker."""
    Conformity.objects.get_or_create(
        organisation=org,
        requirement=Requirement.objects.primary().get(number="8.3.4.1"),
        defaults={
            "status": "partial",
            "operated_by": "external_supplier",
            "operator_name": "Victim Supplier Ltd",
            "notes": "secret-victim-note",
            "assessed_by": owner,
            "assessed_on": timezone.localdate(),
        },
    )
