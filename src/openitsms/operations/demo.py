"""Demo data of the operations app: two years of synthetic incidents ending last month,
imported through the ordinary CSV import (so runs, SLA results and rollups are real).

The story: a seasonal pattern (busier in January and September), a noisy service (Email:
most of the volume), a recurring fault (the portal's login page on the same configuration
item, several times a month), a change that caused incidents (CHG-DEMO-7 caused a burst of
portal incidents), and a month of SLA breaches (resolution times four times longer in the
month before last). Seeded, so the same every time; safe to run again (the records are
looked up by source id first, and an import of the same file changes nothing).
"""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from openitsms.operations.actions import run_import, save_mapping
from openitsms.operations.models import Record

COLUMNS = {
    "source_id": "Number",
    "title": "Summary",
    "status": "State",
    "priority": "Priority",
    "category": "Category",
    "service": "Service",
    "configuration_item": "CI",
    "assignment_group": "Team",
    "opened_at": "Opened",
    "resolved_at": "Resolved",
    "closed_at": "Closed",
    "reassignment_count": "Reassigned",
    "reopen_count": "Reopened",
    "caused_by_change": "Caused by change",
}
SERVICES = [
    ("Email", "MAIL-01", "Messaging", 9),
    ("Customer portal", "PORTAL-WEB", "Web team", 4),
    ("Hosting platform", "K8S-PROD", "Platform", 2),
]
TITLES = [
    "Cannot send mail",
    "Slow response",
    "Page shows an error",
    "Password reset needed",
    "Attachment will not open",
    "Access request not working",
]
SEASON = {1: 1.5, 9: 1.4, 8: 0.7, 12: 0.8}


def _rows(now: datetime) -> list[list[str]]:
    rng = random.Random(20_000_1)
    end = datetime(now.year, now.month, 1, tzinfo=UTC)
    start = end.replace(year=end.year - 2)
    breach_month = (end - timedelta(days=40)).replace(day=1)
    change_day = end - timedelta(days=120)
    rows: list[list[str]] = []
    day = start
    number = 0
    while day < end:
        weekday_factor = 0.3 if day.weekday() >= 5 else 1.0
        for service, ci, team, weight in SERVICES:
            expected = weight * weekday_factor * SEASON.get(day.month, 1.0) / 3
            for _ in range(int(expected) + (rng.random() < expected % 1)):
                number += 1
                opened = day + timedelta(hours=rng.uniform(7, 19))
                priority = rng.choices(["P1", "P2", "P3", "P4"], [1, 6, 60, 33])[0]
                hours = {"P1": 3, "P2": 7, "P3": 20, "P4": 60}[priority] * rng.uniform(0.3, 1.6)
                if day.year == breach_month.year and day.month == breach_month.month:
                    hours *= 4
                title = rng.choice(TITLES)
                caused = ""
                if service == "Customer portal" and 0 <= (day - change_day).days < 3:
                    title, caused, priority = "Checkout fails after release", "CHG-DEMO-7", "P2"
                rows.append(
                    _row(number, title, priority, service, ci, team, opened, hours, rng, caused)
                )
        if day.day in (3, 11, 19, 26):  # the recurring fault
            number += 1
            opened = day + timedelta(hours=9.5)
            rows.append(
                _row(
                    number,
                    "Login page times out",
                    "P3",
                    "Customer portal",
                    "PORTAL-LOGIN",
                    "Web team",
                    opened,
                    2.0,
                    rng,
                    "",
                )
            )
        day += timedelta(days=1)
    return rows


def _row(
    number: int,
    title: str,
    priority: str,
    service: str,
    ci: str,
    team: str,
    opened: datetime,
    hours: float,
    rng: random.Random,
    caused: str,
) -> list[str]:
    resolved = opened + timedelta(hours=hours)
    closed = resolved + timedelta(days=2)
    fmt = "%Y-%m-%d %H:%M"
    return [
        f"DEMO-INC-{number:06d}",
        title,
        "Closed",
        priority,
        "Software",
        service,
        ci,
        team,
        opened.strftime(fmt),
        resolved.strftime(fmt),
        closed.strftime(fmt),
        str(rng.choices([0, 1, 2], [80, 15, 5])[0]),
        str(int(rng.random() < 0.03)),
        caused,
    ]


def populate(org: Any, people: dict[str, Any]) -> None:
    if Record.objects.filter(source_id="DEMO-INC-000001").exists():
        return
    mapping = save_mapping(
        organisation=org, name="Demo helpdesk", source="csv", kind="incident", columns=COLUMNS
    )
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(list(COLUMNS.values()))
    writer.writerows(_rows(timezone.now()))
    run_import(
        organisation=org,
        user=people.get("manager"),
        file=SimpleUploadedFile("demo-helpdesk-incidents.csv", buffer.getvalue().encode()),
        file_name="demo-helpdesk-incidents.csv",
        source="csv",
        kind="incident",
        mapping=mapping,
        tz="UTC",
        date_order="day_first",
    )
