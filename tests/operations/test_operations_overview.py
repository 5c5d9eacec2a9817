"""The organisation overview's operations tile: last month's incidents against their targets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.operations.helpers import HEADER, import_csv, write

pytestmark = pytest.mark.django_db


def _tile(client, org):
    response = client.get(org.get_absolute_url())
    assert response.status_code == 200
    tiles = {tile.label: tile for tile in response.context["tiles"]}
    return tiles["Incidents resolved within target"]


def test_without_imports_the_tile_points_to_the_import_page(owner_client, org):
    tile = _tile(owner_client, org)
    assert tile.value == "—" and tile.tone == "neutral"
    assert tile.url == f"/o/{org.slug}/operations/import/"


def test_the_tile_shows_last_months_share_within_target(
    owner_client, org, manager, portal_sla, tmp_path
):
    first = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    tuesday = first + timedelta(days=(1 - first.weekday()) % 7)  # a Tuesday, day 1 to 7
    thursday = tuesday + timedelta(days=2)
    day = "%d/%m/%Y"
    rows = (
        # One business hour: within the four-hour P1 target.
        f"INC-A,Portal slow,Resolved,{tuesday:{day}} 10:00,{tuesday:{day}} 11:00,"
        "P1,Team A,Customer portal\n"
        # Two days: breached.
        f"INC-B,Portal down,Resolved,{tuesday:{day}} 10:00,{thursday:{day}} 10:00,"
        "P1,Team A,Customer portal\n"
    )
    assert import_csv(org, manager, write(tmp_path, HEADER + rows)).status == "succeeded"

    tile = _tile(owner_client, org)

    assert tile.value == "50.0 %" and tile.tone == "warn"
    assert f"{first:%B %Y}: 1 of 2 with a target · 2 opened" in tile.detail
    assert tile.url == f"/o/{org.slug}/operations/kpis/"
