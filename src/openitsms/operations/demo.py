"""Demo data of the operations app: two years of incidents, service requests, problems and
changes ending last month, imported through the ordinary CSV import with a saved column
mapping per kind (so runs, SLA results, rollups and audit entries are real).

The files are what a mid-size service desk's tool would export — for Northwind about 160
incidents, 140 service requests and 20 changes a month and a problem every few weeks; Harbour
is a smaller desk (60 %) that writes US dates — in the organisation's time zone, on the
services of the services demo by name (so the import measures them against its agreements).
The story:

* **Seasonality**: busier in January and September (new starters), quieter in August and
  December, and slowly growing.
* **A noisy service**: Email and collaboration brings about half of the incidents.
* **A recurring fault, made a problem**: the portal's login timed out at peak load on
  ``portal-web-02`` for a year; the problem became a known error with a workaround and was
  fixed by a change, and every one of those incidents is linked to it.
* **A recurring fault nobody has raised yet**: the VPN on ``fw-edge-02`` has dropped a few
  times a week for the last months, so the recurring page offers it as a problem candidate.
* **A change that caused incidents**: ``CHG-DEMO-7``, a portal release, broke card payments;
  a burst of incidents (one major) followed, the change was rolled back (unsuccessful) and a
  problem and a corrected release followed. A few other failed changes caused an incident.
* **A month of SLA breaches**: for three weeks of the month before last the desk was
  short-staffed: nothing solved at first contact, responses three times and resolutions
  eight times slower, so the monthly KPIs show the dip and the control chart flags it.
* **Links to the services demo**: the incidents and changes behind its outages (monthly
  checkout errors, the portal database filling up, the release that overran, the monthly
  patching) exist with the same numbers.

Seeded, so the same every time in a month; safe to run again (each kind is imported once:
a succeeded run of its demo file means it is there).
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from openitsms.operations.actions import run_import, save_mapping
from openitsms.operations.choices import RunStatus
from openitsms.operations.models import ImportRun
from openitsms.services.models import Outage

EMAIL: Final = "Email and collaboration"
PORTAL: Final = "Customer portal"
HOSTING: Final = "Hosting platform"
NETWORK: Final = "Network and connectivity"
DEMO_CHANGE: Final = "CHG-DEMO-7"
SEED: Final = 20_000_1


@dataclass(frozen=True)
class OrgPlan:
    """What differs between the demo organisations: size, date style and team names."""

    prefix: str
    scale: float
    date_format: str
    date_order: str
    desk: str
    network: str
    platform: str
    web: str
    messaging: str

    def team(self, role: str) -> str:
        return str(getattr(self, role))


PLANS: Final = {
    "Europe/London": OrgPlan(
        "NW",
        1.5,
        "%d/%m/%Y %H:%M",
        "day_first",
        "Service Desk",
        "Network Operations",
        "Platform Engineering",
        "Web Team",
        "Messaging",
    ),
    "America/New_York": OrgPlan(
        "HB",
        0.9,
        "%m/%d/%Y %I:%M %p",
        "month_first",
        "Help Desk",
        "Infrastructure Team",
        "Cloud Platform",
        "Clinical Apps Support",
        "Messaging",
    ),
}


# -- what goes wrong, and what is asked for ------------------------------------------------


@dataclass(frozen=True)
class ProblemPlan:
    title: str
    root_cause: str
    workaround: str
    fix: str


@dataclass(frozen=True)
class Symptom:
    title: str
    category: str
    on_device: bool = False  # logged against the user's device, not a server
    problem: ProblemPlan | None = None

    @property
    def weight(self) -> int:
        """Most incidents concern one user's device or account; fewer a server."""
        return 3 if self.on_device else 1


@dataclass(frozen=True)
class Area:
    service: str
    team: str  # an OrgPlan attribute
    per_day: float  # incidents on an ordinary weekday
    cis: tuple[str, ...]
    symptoms: tuple[Symptom, ...]


AREAS: Final = (
    Area(
        EMAIL,
        "messaging",
        2.0,
        ("exchange-online", "mail-gw-01", "mail-gw-02", "teams-tenant", "sharepoint-online"),
        (
            Symptom(
                "Cannot send email to external addresses",
                "Email",
                problem=ProblemPlan(
                    "Outbound mail rejected by some recipient domains",
                    "The sending domain's SPF record did not list the new mail gateway.",
                    "Send from the web client, which still uses the old route.",
                    "Add the new mail gateway to the SPF record",
                ),
            ),
            Symptom("Outlook keeps asking for the password", "Access", on_device=True),
            Symptom(
                "Shared mailbox not updating",
                "Email",
                problem=ProblemPlan(
                    "Shared mailboxes stop synchronising in the desktop client",
                    "Cached mode with many shared mailboxes exceeds the client's sync limit.",
                    "Open the shared mailbox in the web client.",
                    "Turn off caching of shared mailboxes by policy",
                ),
            ),
            Symptom(
                "Calendar invitations not arriving",
                "Email",
                problem=ProblemPlan(
                    "Meeting invitations held by a transport rule",
                    "A rule written against spam quarantined invitations with attachments.",
                    "",
                    "Narrow the quarantine transport rule",
                ),
            ),
            Symptom("Teams meeting audio drops", "Collaboration", on_device=True),
            Symptom("Mailbox full warning", "Email", on_device=True),
            Symptom("Attachment will not open", "Software", on_device=True),
            Symptom("Team site shows access denied", "Access", on_device=True),
            Symptom(
                "Phishing emails reaching inboxes",
                "Security",
                problem=ProblemPlan(
                    "Spam filter misses a phishing campaign",
                    "The filter policy had not been updated for a new sender pattern.",
                    "Report the message; the desk blocks the sender.",
                    "Tighten the inbound filter policy",
                ),
            ),
            Symptom("Locked out after password change", "Access", on_device=True),
        ),
    ),
    Area(
        PORTAL,
        "web",
        1.0,
        ("portal-web-01", "portal-web-02", "portal-db", "portal-api-01"),
        (
            Symptom(
                "Order page loads slowly",
                "Software",
                problem=ProblemPlan(
                    "Order page slow for customers with long order histories",
                    "The order query reads every historic order without paging.",
                    "Filter the order page by date.",
                    "Page the order history query",
                ),
            ),
            Symptom("Search returns no results", "Software"),
            Symptom("Customer cannot reset portal password", "Access", on_device=True),
            Symptom(
                "Invoice PDF download fails",
                "Software",
                problem=ProblemPlan(
                    "Invoice PDFs fail for invoices with many lines",
                    "The PDF service times out after 30 seconds on large invoices.",
                    "The desk sends the invoice by email.",
                    "Raise the PDF service timeout and stream large invoices",
                ),
            ),
            Symptom(
                "Order status not updating",
                "Integration",
                problem=ProblemPlan(
                    "Order status feed from the warehouse lags",
                    "The queue consumer stalls when a malformed message arrives.",
                    "Restart the queue consumer.",
                    "Dead-letter malformed warehouse messages",
                ),
            ),
            Symptom("Error 500 on order history", "Software"),
            Symptom("Customer account locked", "Access", on_device=True),
            Symptom("Delivery tracking shows the wrong date", "Integration"),
            Symptom("Customer cannot upload documents", "Software", on_device=True),
        ),
    ),
    Area(
        HOSTING,
        "platform",
        0.45,
        ("vm-cluster-01", "vm-cluster-02", "san-01", "backup-vault"),
        (
            Symptom(
                "Backup job failed",
                "Backup",
                problem=ProblemPlan(
                    "Nightly backups of large virtual machines overrun their window",
                    "The backup window is too short for machines over 2 TB.",
                    "Run a manual backup the next evening.",
                    "Move large machines to incremental-forever backups",
                ),
            ),
            Symptom("Virtual machine unresponsive", "Infrastructure"),
            Symptom(
                "Datastore running out of space",
                "Storage",
                problem=ProblemPlan(
                    "Datastores fill up with orphaned snapshots",
                    "Snapshots left behind by failed backup jobs are never deleted.",
                    "Delete orphaned snapshots by hand each week.",
                    "Schedule clean-up of orphaned snapshots",
                ),
            ),
            Symptom("Snapshot could not be deleted", "Storage"),
            Symptom("High CPU on a cluster host", "Infrastructure"),
            Symptom("File restore failed", "Backup"),
            Symptom("Mapped network drive missing", "Storage", on_device=True),
        ),
    ),
    Area(
        NETWORK,
        "network",
        0.7,
        ("fw-edge-01", "fw-edge-02", "wan-router-01", "wan-router-02", "wifi-ctrl-01"),
        (
            Symptom(
                "Branch site link down",
                "Network",
                problem=ProblemPlan(
                    "Branch WAN link drops in heavy rain",
                    "Water gets into the carrier's street cabinet.",
                    "Fail over to the 4G backup router.",
                    "Move the branch to the carrier's new fibre route",
                ),
            ),
            Symptom("Wi-Fi drops in meeting rooms", "Network", on_device=True),
            Symptom("VPN client cannot connect", "Remote access", on_device=True),
            Symptom("Cannot join the guest Wi-Fi", "Network", on_device=True),
            Symptom(
                "Slow connection to the branch office",
                "Network",
                problem=ProblemPlan(
                    "Branch link saturated by backups in office hours",
                    "Backup replication was scheduled at 09:00 instead of 21:00.",
                    "",
                    "Reschedule backup replication to the evening",
                ),
            ),
            Symptom("Firewall blocks a supplier website", "Security"),
            Symptom(
                "Internal names do not resolve",
                "Network",
                problem=ProblemPlan(
                    "Intermittent DNS failures on the internal resolvers",
                    "The resolver cache was too small after the directory migration.",
                    "Use the secondary resolver.",
                    "Resize the resolver cache and add a third resolver",
                ),
            ),
        ),
    ),
)

# Catalogue items: (item, category, service or "", team, per weekday, median working hours).
REQUEST_ITEMS: Final = (
    ("New starter: laptop and accounts", "Onboarding", "", "desk", 0.5, 14.0),
    ("Leaver: disable accounts and collect equipment", "Offboarding", "", "desk", 0.35, 5.0),
    ("Access to a shared mailbox", "Access", EMAIL, "messaging", 0.6, 2.5),
    ("New distribution list", "Email", EMAIL, "messaging", 0.15, 4.0),
    ("Software installation", "Software", "", "desk", 0.5, 5.0),
    ("New customer user on the portal", "Access", PORTAL, "web", 0.45, 2.0),
    ("Export of a portal report", "Data", PORTAL, "web", 0.15, 10.0),
    ("New virtual machine", "Infrastructure", HOSTING, "platform", 0.12, 18.0),
    ("Restore a deleted file", "Backup", HOSTING, "platform", 0.2, 4.0),
    ("VPN access for a contractor", "Access", NETWORK, "network", 0.2, 3.0),
    ("Open a firewall port for a supplier", "Network", NETWORK, "network", 0.12, 14.0),
    ("Replacement mobile phone", "Hardware", "", "desk", 0.15, 18.0),
)

# Routine changes: (title, service, CI, team, category, type, risk).
CHANGES: Final = (
    ("Renew the portal TLS certificate", PORTAL, "portal-web-01", "web", "Security", "s", "L"),
    ("Scale out the portal web tier", PORTAL, "portal-web-02", "web", "Software", "s", "L"),
    ("Add DNS records for a new site", NETWORK, "wan-router-01", "network", "Network", "s", "L"),
    (
        "Increase memory of a virtual machine",
        HOSTING,
        "vm-cluster-01",
        "platform",
        "Hardware",
        "s",
        "L",
    ),
    ("Add a firewall rule for a supplier", NETWORK, "fw-edge-01", "network", "Security", "s", "L"),
    ("Create mailboxes in bulk", EMAIL, "exchange-online", "messaging", "Email", "s", "L"),
    ("Upgrade the edge firewall firmware", NETWORK, "fw-edge-02", "network", "Network", "n", "H"),
    ("Upgrade the backup software", HOSTING, "backup-vault", "platform", "Backup", "n", "M"),
    (
        "Migrate mailboxes to the new retention policy",
        EMAIL,
        "exchange-online",
        "messaging",
        "Email",
        "n",
        "M",
    ),
    ("Replace the branch core switch", NETWORK, "wan-router-01", "network", "Hardware", "n", "M"),
    ("Rebuild portal database indexes", PORTAL, "portal-db", "web", "Database", "n", "M"),
    ("Expand SAN capacity", HOSTING, "san-01", "platform", "Storage", "n", "M"),
    (
        "Enforce multi-factor sign-in for collaboration",
        EMAIL,
        "teams-tenant",
        "messaging",
        "Security",
        "n",
        "H",
    ),
)
EMERGENCIES: Final = (
    ("Emergency patch for an exploited firewall vulnerability", NETWORK, "fw-edge-01", "network"),
    ("Hotfix for portal order submission", PORTAL, "portal-web-01", "web"),
    ("Restore mail flow rules after a failed update", EMAIL, "mail-gw-01", "messaging"),
    ("Replace a failed SAN controller", HOSTING, "san-01", "platform"),
)
CHANGE_TYPES: Final = {"s": "Standard", "n": "Normal", "e": "Emergency"}
RISKS: Final = {"L": "Low", "M": "Moderate", "H": "High"}

SEASON: Final = {1: 1.35, 2: 1.1, 3: 1.05, 7: 0.9, 8: 0.75, 9: 1.3, 10: 1.1, 12: 0.8}
ONBOARDING: Final = {1: 1.6, 8: 1.2, 9: 2.2, 12: 0.5}
WEEKDAY: Final = (1.15, 1.05, 1.0, 1.0, 0.9, 0.2, 0.15)
HOLIDAYS: Final = {(1, 1), (12, 25), (12, 26)}
OPENING_HOURS: Final = (
    (7, 2),
    (8, 6),
    (9, 10),
    (10, 10),
    (11, 9),
    (12, 6),
    (13, 7),
    (14, 9),
    (15, 8),
    (16, 7),
    (17, 4),
    (18, 2),
    (19, 1),
)
PRIORITY_LABELS: Final = {
    "P1": "1 - Critical",
    "P2": "2 - High",
    "P3": "3 - Moderate",
    "P4": "4 - Low",
}
LEVELS: Final = {"H": "1 - High", "M": "2 - Medium", "L": "3 - Low"}
IMPACT_URGENCY: Final = {
    "P1": ("HH",),
    "P2": ("HM", "MH"),
    "P3": ("MM", "MM", "HL", "LH"),
    "P4": ("LL", "LM", "ML"),
}
WORK_START, WORK_END = 8, 18


# -- the export's rows -----------------------------------------------------------------------


@dataclass(eq=False)
class Ticket:
    """One record of the export, before it is written. Times are local wall times."""

    kind: str
    opened: datetime
    title: str
    service: str = ""
    ci: str = ""
    category: str = ""
    group: str = ""
    priority: str = ""
    levels: str = ""  # impact and urgency, e.g. "MH"
    responded: datetime | None = None
    resolved: datetime | None = None
    closed: datetime | None = None
    cancelled: bool = False
    hold: bool = False  # waiting on someone if still open at the export
    number: str = ""
    reassigned: int = 0
    reopened: int = 0
    code: str = ""
    symptom: Symptom | None = None
    problem: Ticket | None = None
    change: Ticket | None = None
    caused_by: Ticket | None = None
    # Changes
    change_type: str = ""
    risk: str = ""
    cab: bool | None = None
    approval: str = ""
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    outcome: str = ""
    rolled_back: bool | None = None
    # Problems
    known_at: datetime | None = None
    root_cause: str = ""
    workaround: str = ""
    # Set by _settle: the state at the export and the last update.
    status: str = ""
    updated: datetime | None = None
    known_error: bool | None = None


def _months(day: datetime, count: int) -> datetime:
    index = day.year * 12 + day.month - 1 + count
    return day.replace(year=index // 12, month=index % 12 + 1)


def _working_time(
    start: datetime, minutes: float, slow: tuple[datetime, datetime, float] | None = None
) -> datetime:
    """``start`` plus ``minutes`` of work done on weekdays 08:00–18:00; within ``slow``
    (from, until, factor) the work goes ``factor`` times slower."""
    moment, left = start, minutes
    while True:
        day_start = moment.replace(hour=WORK_START, minute=0, second=0, microsecond=0)
        day_end = moment.replace(hour=WORK_END, minute=0, second=0, microsecond=0)
        if moment.weekday() >= 5 or moment >= day_end:
            moment = day_start + timedelta(days=1)
            continue
        moment = max(moment, day_start)
        rate = 1 / slow[2] if slow and slow[0] <= moment < slow[1] else 1.0
        room = (day_end - moment).total_seconds() / 60 * rate
        if left <= room:
            return moment + timedelta(minutes=left / rate)
        left -= room
        moment = day_start + timedelta(days=1)


def _next_weekday(day: datetime, weekday: int) -> datetime:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


class Story:
    """Builds one organisation's two years of records (see the module docstring)."""

    def __init__(self, plan: OrgPlan, end: datetime, outages: Iterable[Outage], zone: ZoneInfo):
        self.plan = plan
        self.rng = random.Random(f"{SEED}-{plan.prefix}")
        self.end = end  # the first of this month, local
        self.start = _months(end, -24)
        self.export = end - timedelta(minutes=1)
        breach = _months(end, -2)
        self.shortage = (breach, breach + timedelta(days=21))  # the desk is short-staffed
        self.zone = zone
        self.outages = list(outages)
        self.demo_day = self.end  # CHG-DEMO-7's day, set by demo_change
        self.incidents: list[Ticket] = []
        self.requests: list[Ticket] = []
        self.problems: list[Ticket] = []
        self.changes: list[Ticket] = []

    # -- helpers ---------------------------------------------------------------------------

    def poisson(self, mean: float) -> int:
        limit, count, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count

    def lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(self.rng.gauss(0, sigma))

    def days(self, start: datetime | None = None, end: datetime | None = None) -> list[datetime]:
        day, last = start or self.start, end or self.end
        found = []
        while day < last:
            found.append(day)
            day += timedelta(days=1)
        return found

    def volume(self, day: datetime, per_day: float, season: dict[int, float]) -> float:
        factor = 0.2 if (day.month, day.day) in HOLIDAYS else WEEKDAY[day.weekday()]
        growth = 1 + 0.1 * (day - self.start).days / 730
        return per_day * factor * season.get(day.month, 1.0) * growth * self.plan.scale

    def opening(self, day: datetime) -> datetime:
        if day.weekday() >= 5:
            hour = self.rng.randint(8, 20)
        else:
            hour = self.rng.choices([h for h, _ in OPENING_HOURS], [w for _, w in OPENING_HOURS])[0]
        return day.replace(hour=hour, minute=self.rng.randrange(60))

    def handle(self, ticket: Ticket, work_h: float, *, response_min: float | None = None) -> None:
        """Respond and resolve in working time (P1: around the clock); close three days on.
        While the desk is short-staffed it responds three times and resolves eight times
        slower."""
        month = self.shortage
        if ticket.priority == "P1":
            slow = 3 if month[0] <= ticket.opened < month[1] else 1
            ticket.responded = ticket.opened + timedelta(minutes=self.rng.uniform(4, 14))
            ticket.resolved = ticket.responded + timedelta(hours=work_h * slow)
        else:
            if response_min is None:
                median = {"P2": 12, "P3": 30}.get(ticket.priority, 90)
                response_min = self.lognormal(median, 0.8)
            ticket.responded = _working_time(ticket.opened, response_min, (*month, 3))
            ticket.resolved = _working_time(ticket.responded, 60 * work_h, (*month, 8))
        ticket.closed = ticket.resolved + timedelta(days=3)

    def incident(self, opened: datetime, area: Area, symptom: Symptom, **fields: Any) -> Ticket:
        rng = self.rng
        priority = (
            fields.pop("priority", None) or rng.choices(["P1", "P2", "P3", "P4"], [1, 6, 58, 35])[0]
        )
        ci = fields.pop("ci", None) or (
            f"{self.plan.prefix}-LT-{rng.randrange(1, 900):04d}"
            if symptom.on_device
            else rng.choice(area.cis)
        )
        ticket = Ticket(
            "incident",
            opened,
            symptom.title,
            service=area.service,
            ci=ci,
            category=symptom.category,
            priority=priority,
            levels=rng.choice(IMPACT_URGENCY[priority]),
            symptom=symptom,
            code=rng.choices(
                [
                    "Solved (permanently)",
                    "Solved (work around)",
                    "Not solved (not reproducible)",
                    "Closed by caller",
                ],
                [80, 12, 5, 3],
            )[0],
            reopened=int(rng.random() < 0.03),
            hold=rng.random() < 0.25,
        )
        work_h = fields.pop("work_h", None)
        first_contact = symptom.on_device and priority in ("P3", "P4") and rng.random() < 0.45
        if first_contact and not self.shortage[0] <= opened < self.shortage[1]:
            ticket.group = self.plan.desk  # solved at first contact
            work_h = work_h or self.lognormal(0.3, 0.6)
        else:
            ticket.group = self.plan.team(area.team)
            ticket.reassigned = 1 + rng.choices([0, 1, 2], [75, 20, 5])[0]
            work_h = work_h or self.lognormal(
                {"P1": 2.2, "P2": 3.0, "P3": 5.0, "P4": 14.0}[priority],
                0.45 if priority == "P1" else 0.6 if priority == "P2" else 1.0,
            )
        for name, value in fields.items():
            setattr(ticket, name, value)
        if rng.random() < 0.005:
            ticket.cancelled, ticket.code = True, "Duplicate"
            ticket.closed = opened + timedelta(minutes=rng.uniform(10, 120))
        else:
            self.handle(ticket, work_h)
        self.incidents.append(ticket)
        return ticket

    def change(
        self,
        title: str,
        service: str,
        ci: str,
        team: str,
        category: str,
        kind: str,
        risk: str,
        start: datetime,
        hours: float,
        outcome: str = "",
        number: str = "",
    ) -> Ticket:
        """A change planned for ``start`` (``hours`` long); outcome drawn unless given."""
        rng = self.rng
        lead = {"s": rng.uniform(1, 5), "n": rng.uniform(7, 21), "e": rng.uniform(0.05, 0.3)}[kind]
        opened = start - timedelta(days=lead)
        if kind != "e":
            opened = _working_time(opened.replace(hour=WORK_START), rng.uniform(0, 540))
        ticket = Ticket(
            "change",
            min(opened, start - timedelta(minutes=30)),
            title,
            service=service,
            ci=ci,
            category=category,
            group=self.plan.team(team),
            number=number,
            change_type=CHANGE_TYPES[kind],
            risk=RISKS[risk],
            cab=kind != "s",
            approval="Not required" if kind == "s" else "Approved",
            planned_start=start,
            planned_end=start + timedelta(hours=hours),
        )
        if kind == "n" and not outcome and rng.random() < 0.04:
            ticket.approval, ticket.cancelled = "Rejected", True
            ticket.closed = ticket.opened + timedelta(days=rng.uniform(3, 8))
            self.changes.append(ticket)
            return ticket
        if not outcome:
            weights = {"s": [97, 2, 1], "n": [85, 9, 6], "e": [75, 15, 10]}[kind]
            outcome = rng.choices(
                ["Successful", "Successful with issues", "Unsuccessful"], weights
            )[0]
        ticket.outcome = outcome
        ticket.actual_start = start + timedelta(minutes=rng.randint(0, 15))
        overrun = {"Successful": 0.0, "Successful with issues": 0.6, "Unsuccessful": 0.4}
        ticket.actual_end = ticket.actual_start + timedelta(
            hours=hours * rng.uniform(0.6, 1.0) + hours * overrun[outcome]
        )
        ticket.rolled_back = outcome == "Unsuccessful" and rng.random() < 0.8
        ticket.resolved = ticket.actual_end
        review = ticket.actual_end + timedelta(days=rng.randint(1, 3))
        ticket.closed = _working_time(review, rng.uniform(0, 480))  # after the review
        self.changes.append(ticket)
        return ticket

    # -- the story -------------------------------------------------------------------------

    def build(self) -> None:
        self.background_incidents()
        self.login_fault()
        self.vpn_fault()
        self.demo_change()
        self.outage_records()
        self.monthly_changes()
        self.problems_from_incidents()
        self.incidents_from_failed_changes()
        self.service_requests()
        start, x = self.start, self.export
        for tickets in (self.incidents, self.requests, self.problems, self.changes):
            tickets[:] = [t for t in tickets if start <= t.opened <= x]
        for ticket in (*self.incidents, *self.problems):
            if ticket.change and not start <= ticket.change.opened <= x:
                ticket.change = None
            if ticket.caused_by and not start <= ticket.caused_by.opened <= x:
                ticket.caused_by = None
            if ticket.problem and not start <= ticket.problem.opened <= x:
                ticket.problem = None
        for ticket in (*self.incidents, *self.requests, *self.problems, *self.changes):
            self.settle(ticket)
        self.number()

    def background_incidents(self) -> None:
        for day in self.days():
            for area in AREAS:
                for _ in range(self.poisson(self.volume(day, area.per_day, SEASON))):
                    symptom = self.rng.choices(area.symptoms, [s.weight for s in area.symptoms])
                    self.incident(self.opening(day), area, symptom[0])

    def login_fault(self) -> None:
        """A year of login timeouts at peak load; a problem, a workaround, then a fix."""
        portal = AREAS[1]
        first, fix_month = _months(self.start, 3), _months(self.start, 15)
        problem = Ticket(
            "problem",
            _months(self.start, 6) + timedelta(days=4, hours=11),
            "Portal login times out at peak load",
            service=PORTAL,
            ci="portal-web-02",
            category="Software",
            group=self.plan.web,
            root_cause="The session cache on portal-web-02 was sized for half of today's "
            "logins; at peak it evicts sessions and logins wait for the database.",
            workaround="Restart the session service on portal-web-02 (two minutes).",
        )
        problem.known_at = problem.opened + timedelta(days=12)
        fix = self.change(
            "Resize the portal session cache",
            PORTAL,
            "portal-web-02",
            "web",
            "Software",
            "n",
            "M",
            _next_weekday(fix_month + timedelta(days=8), 1).replace(hour=19),
            2,
            outcome="Successful",
        )
        self.fixed_by(problem, fix, 30)
        problem.code = "Fixed by change"
        self.problems.append(problem)
        symptom = Symptom("Login page times out", "Software")
        for day in self.days(first, fix.planned_start):
            if day.weekday() < 5 and self.rng.random() < 0.2:
                self.incident(
                    day.replace(hour=9) + timedelta(minutes=self.rng.randrange(90)),
                    portal,
                    symptom,
                    priority="P3",
                    ci="portal-web-02",
                    work_h=self.rng.uniform(0.3, 1.0),
                    problem=problem,
                    code="Solved (work around)",
                )

    def vpn_fault(self) -> None:
        """The VPN drops a few times a week lately; nobody has raised a problem yet."""
        network = AREAS[3]
        titles = ("VPN disconnects every few minutes", "VPN keeps disconnecting every few minutes")
        for day in self.days(self.end - timedelta(days=75)):
            if day.weekday() < 5 and self.rng.random() < 0.55:
                self.incident(
                    self.opening(day),
                    network,
                    Symptom(self.rng.choice(titles), "Remote access"),
                    priority="P3",
                    ci="fw-edge-02",
                    work_h=self.rng.uniform(1, 3),
                    code="Solved (work around)",
                )

    def demo_change(self) -> None:
        """CHG-DEMO-7: a portal release that broke card payments and was rolled back."""
        day = self.end - timedelta(days=120)
        day -= timedelta(days=(day.weekday() - 1) % 7)  # the Tuesday before
        self.demo_day = day
        change = self.change(
            "Customer portal release 4.2 (payment page)",
            PORTAL,
            "portal-web-01",
            "web",
            "Software",
            "n",
            "M",
            day.replace(hour=19),
            2,
            outcome="Unsuccessful",
            number=DEMO_CHANGE,
        )
        change.actual_start = day.replace(hour=19, minute=5)
        change.actual_end = change.resolved = day.replace(hour=21, minute=20)
        change.rolled_back = True
        change.closed = day + timedelta(days=6, hours=10)
        rollback = day + timedelta(days=2, hours=12)
        problem = Ticket(
            "problem",
            day + timedelta(days=2, hours=9, minutes=30),
            "Card payments fail after portal release 4.2",
            service=PORTAL,
            ci="portal-web-01",
            category="Software",
            group=self.plan.web,
            root_cause="Release 4.2 changed the payment gateway's callback address; the "
            "gateway rejected the callbacks of cards that need 3-D Secure.",
            workaround="Roll back to release 4.1 (done on the second day).",
            code="Fixed by change",
        )
        problem.known_at = rollback
        fix = self.change(
            "Customer portal release 4.2.1 (corrected payment callback)",
            PORTAL,
            "portal-web-01",
            "web",
            "Software",
            "n",
            "M",
            (day + timedelta(days=21)).replace(hour=19),
            2,
            outcome="Successful",
        )
        self.fixed_by(problem, fix, 14)
        self.problems.append(problem)
        portal = AREAS[1]
        titles = (
            "Checkout fails after release",
            "Card payment declined at checkout",
            "Checkout error after entering card details",
        )
        opened = day + timedelta(days=1, hours=8)
        while opened < rollback:
            if WORK_START <= opened.hour < 20:
                ticket = self.incident(
                    opened,
                    portal,
                    Symptom(self.rng.choice(titles), "Software"),
                    priority=self.rng.choice(["P2", "P2", "P3"]),
                    ci="portal-web-01",
                    caused_by=change,
                    problem=problem,
                )
                self.settle_at(ticket, rollback + timedelta(minutes=self.rng.randint(10, 50)))
            opened += timedelta(minutes=self.rng.randint(40, 110))
        major = self.incident(
            day + timedelta(days=2, hours=8, minutes=40),
            portal,
            Symptom("Card payments failing at checkout for all customers", "Software"),
            priority="P1",
            ci="portal-web-01",
            caused_by=change,
            problem=problem,
        )
        self.settle_at(major, rollback + timedelta(minutes=25))

    def fixed_by(self, problem: Ticket, fix: Ticket, watch_days: int) -> None:
        """``problem`` resolved the day after ``fix``, closed after ``watch_days`` of watching."""
        problem.change = fix
        problem.resolved = (fix.actual_end or fix.opened) + timedelta(days=1)
        problem.closed = problem.resolved + timedelta(days=watch_days)

    def settle_at(self, ticket: Ticket, resolved: datetime) -> None:
        ticket.cancelled = False
        ticket.responded = min(ticket.responded or resolved, resolved)
        ticket.resolved, ticket.closed = resolved, resolved + timedelta(days=3)

    def outage_records(self) -> None:
        """The incidents and changes behind the services demo's outages, by their numbers."""
        changes: dict[str, Ticket] = {}
        overruns: dict[str, datetime] = {}
        for outage in self.outages:
            start = outage.starts_at.astimezone(self.zone).replace(tzinfo=None)
            end = (outage.ends_at or outage.starts_at).astimezone(self.zone).replace(tzinfo=None)
            if outage.change_ref and outage.kind == "planned" and outage.service.name == PORTAL:
                changes[outage.change_ref] = self.change(
                    "Customer portal release (data migration)",
                    PORTAL,
                    "portal-db",
                    "web",
                    "Software",
                    "n",
                    "M",
                    start,
                    (end - start).total_seconds() / 3600,
                    outcome="Successful with issues",
                    number=outage.change_ref,
                )
            elif outage.change_ref and outage.kind == "unplanned":
                overruns[outage.change_ref] = end
        for ref, end in overruns.items():
            if ref in changes:
                changes[ref].actual_end = changes[ref].resolved = end
        pool = storage = None
        portal = AREAS[1]
        for outage in sorted(self.outages, key=lambda o: o.starts_at):
            if not outage.incident_ref or outage.service.name != PORTAL:
                continue
            start = outage.starts_at.astimezone(self.zone).replace(tzinfo=None)
            end = (outage.ends_at or outage.starts_at).astimezone(self.zone).replace(tzinfo=None)
            minutes = (end - start).total_seconds() / 60
            ticket = self.incident(
                start + timedelta(minutes=3),
                portal,
                Symptom(outage.title, "Software"),
                priority="P1" if minutes >= 120 else "P2",
                ci="portal-db" if minutes >= 120 else "portal-web-01",
                number=outage.incident_ref,
                caused_by=changes.get(outage.change_ref),
            )
            self.settle_at(ticket, end + timedelta(minutes=6))
            if "checkout" in outage.title.casefold():
                if pool is None:
                    pool = self.pool_problem(start)
                ticket.problem = pool
            elif minutes >= 120:
                storage = storage or self.storage_problem(end)
                ticket.problem = storage

    def pool_problem(self, first: datetime) -> Ticket:
        problem = Ticket(
            "problem",
            first + timedelta(days=40),
            "Portal connection pool exhausted at peak checkout load",
            service=PORTAL,
            ci="portal-web-01",
            category="Software",
            group=self.plan.web,
            root_cause="The database connection pool is sized for 50 sessions; peak checkout "
            "load needs about 80.",
            workaround="Recycle the application pool on the affected web server.",
        )
        problem.known_at = problem.opened + timedelta(days=9)
        problem.change = self.change(
            "Enlarge the portal connection pool and alert on its use",
            PORTAL,
            "portal-web-01",
            "web",
            "Software",
            "n",
            "M",
            _next_weekday(self.end + timedelta(days=7), 1).replace(hour=19),
            2,
            outcome="Successful",  # as planned: the export is before it
        )
        problem.change.opened = min(problem.change.opened, self.export - timedelta(days=3))
        self.problems.append(problem)
        return problem

    def storage_problem(self, end: datetime) -> Ticket:
        problem = Ticket(
            "problem",
            end + timedelta(days=1),
            "Portal database volume filled up",
            service=PORTAL,
            ci="portal-db",
            category="Database",
            group=self.plan.web,
            root_cause="The audit tables grew unchecked and nothing alerted on the volume's use.",
            workaround="",
            code="Fixed by change",
        )
        problem.change = self.change(
            "Archive the portal audit tables and alert on volume use",
            PORTAL,
            "portal-db",
            "web",
            "Database",
            "n",
            "M",
            (end + timedelta(days=16)).replace(hour=19, minute=0),
            3,
            outcome="Successful",
        )
        problem.resolved = (problem.change.actual_end or end) + timedelta(days=1)
        problem.closed = problem.resolved + timedelta(days=14)
        self.problems.append(problem)
        return problem

    def monthly_changes(self) -> None:
        """Monthly patching (numbered as in the services demo), releases, routine work."""
        rng, month = self.rng, self.start
        demo_month = self.demo_day.year * 12 + self.demo_day.month
        while month < self.end:
            saturday = _next_weekday(month, 5) + timedelta(days=7)
            tag = f"{month:%Y%m}"
            self.change(
                "Monthly patching of the hosting platform",
                HOSTING,
                "vm-cluster-01",
                "platform",
                "Infrastructure",
                "s",
                "L",
                saturday.replace(hour=22),
                3,
                number=f"CHG{tag}07",
            )
            version = 42 + month.year * 12 + month.month - demo_month
            if version != 42:  # that month's release is CHG-DEMO-7
                wednesday = _next_weekday(month + timedelta(days=14), 2).replace(hour=19)
                self.change(
                    f"Customer portal release {version // 10}.{version % 10}",
                    PORTAL,
                    "portal-web-01",
                    "web",
                    "Software",
                    "n",
                    "M",
                    wednesday,
                    2,
                )
            count = self.poisson(11 * self.plan.scale)
            for _ in range(count):
                title, service, ci, team, category, kind, risk = rng.choice(CHANGES)
                day = month + timedelta(days=rng.randrange(28))
                day = day + timedelta(days=2) if day.weekday() >= 5 else day
                hour = 19 if kind == "n" else rng.choice([10, 14, 19])
                self.change(
                    title,
                    service,
                    ci,
                    team,
                    category,
                    kind,
                    risk,
                    day.replace(hour=hour),
                    rng.choice([1, 2, 3]),
                )
            if rng.random() < 0.6 * self.plan.scale + 0.2:
                title, service, ci, team = rng.choice(EMERGENCIES)
                day = month + timedelta(days=rng.randrange(28), hours=rng.randint(8, 22))
                self.change(title, service, ci, team, "Security", "e", "H", day, 1)
            month = _months(month, 1)

    def problems_from_incidents(self) -> None:
        """Every few weeks, a symptom seen several times on a server becomes a problem."""
        rng = self.rng
        by_symptom: dict[tuple[str, Symptom], list[Ticket]] = {}
        for ticket in sorted(self.incidents, key=lambda t: t.opened):
            symptom = ticket.symptom
            if symptom and symptom.problem and not symptom.on_device and ticket.problem is None:
                by_symptom.setdefault((ticket.service, symptom), []).append(ticket)
        day = self.start + timedelta(days=45)
        busy_until: dict[Symptom, datetime] = {}
        while day < self.end - timedelta(days=7):
            window = [
                (key, [t for t in tickets if day - timedelta(days=45) <= t.opened < day])
                for key, tickets in by_symptom.items()
                if busy_until.get(key[1], self.start) < day
            ]
            window = [(key, seen) for key, seen in window if len(seen) >= 3]
            if window:
                (service, symptom), seen = max(window, key=lambda item: len(item[1]))
                plan = symptom.problem
                assert plan is not None
                problem = self.problem_for(service, seen[-1], plan, day)
                until = problem.resolved or problem.closed or self.end
                busy_until[symptom] = until + timedelta(days=60)
                for ticket in by_symptom[(service, symptom)]:
                    if seen[0].opened <= ticket.opened <= until:
                        ticket.problem = problem
            day += timedelta(days=rng.randint(14, 30))

    def problem_for(self, service: str, last: Ticket, plan: ProblemPlan, day: datetime) -> Ticket:
        rng = self.rng
        problem = Ticket(
            "problem",
            _working_time(day, rng.uniform(0, 600)),
            plan.title,
            service=service,
            ci=last.ci,
            category=last.category,
            group=last.group,
        )
        self.problems.append(problem)
        found_cause = rng.random() < 0.8
        if found_cause:
            problem.root_cause = plan.root_cause
            problem.workaround = plan.workaround
            if plan.workaround:
                problem.known_at = problem.opened + timedelta(days=rng.uniform(3, 15))
        elif plan.workaround and rng.random() < 0.5:
            problem.workaround = plan.workaround
        if not found_cause:
            problem.closed = problem.opened + timedelta(days=rng.uniform(30, 60))
            problem.code = "Closed: cause not found"
            return problem
        area = next(a for a in AREAS if a.service == service)
        fix_day = problem.opened + timedelta(days=rng.uniform(14, 50))
        fix_day = _next_weekday(fix_day, rng.choice([1, 2, 3])).replace(hour=19, minute=0)
        fix = self.change(
            plan.fix,
            service,
            last.ci,
            area.team,
            last.category,
            "n",
            "M",
            fix_day,
            2,
            outcome=rng.choices(["Successful", "Successful with issues"], [9, 1])[0],
        )
        problem.change = fix
        problem.code = "Fixed by change"
        problem.resolved = (fix.actual_end or fix_day) + timedelta(days=rng.uniform(1, 7))
        problem.closed = problem.resolved + timedelta(days=14)
        return problem

    def incidents_from_failed_changes(self) -> None:
        for change in list(self.changes):
            if change.number or change.outcome not in ("Unsuccessful", "Successful with issues"):
                continue
            if change.actual_end is None or self.rng.random() > 0.4:
                continue
            area = next(a for a in AREAS if a.service == change.service)
            morning = _working_time(change.actual_end, 0).replace(minute=0) + timedelta(
                minutes=self.rng.randint(5, 120)
            )
            for _ in range(self.rng.randint(1, 2)):
                self.incident(
                    morning + timedelta(minutes=self.rng.randint(0, 90)),
                    area,
                    Symptom(f"Errors after the change: {change.title}", "Software"),
                    priority="P2",
                    ci=change.ci,
                    caused_by=change,
                )

    def service_requests(self) -> None:
        rng = self.rng
        for day in self.days():
            for title, category, service, team, per_day, median_h in REQUEST_ITEMS:
                season = ONBOARDING if category == "Onboarding" else SEASON
                for _ in range(self.poisson(self.volume(day, per_day, season))):
                    priority = rng.choices(["P3", "P4"], [2, 8])[0]
                    ticket = Ticket(
                        "request",
                        self.opening(day),
                        title,
                        service=service,
                        category=category,
                        group=self.plan.team(team),
                        priority=priority,
                        reassigned=rng.choices([0, 1], [8, 2])[0],
                        hold=rng.random() < 0.4,
                    )
                    if rng.random() < 0.05:
                        ticket.cancelled = True
                        ticket.code = rng.choice(["Closed Incomplete", "Cancelled"])
                        ticket.closed = _working_time(ticket.opened, rng.uniform(30, 900))
                    else:
                        self.handle(
                            ticket,
                            self.lognormal(median_h, 0.8),
                            response_min=self.lognormal(60, 0.8),
                        )
                        ticket.closed = ticket.resolved
                    self.requests.append(ticket)

    # -- the state at the export -----------------------------------------------------------

    def settle(self, ticket: Ticket) -> None:
        """Forget what had not happened by the export and name the state the tool shows."""
        x = self.export
        for name in ("responded", "resolved", "closed", "known_at", "actual_start", "actual_end"):
            moment = getattr(ticket, name)
            if moment is not None and moment > x:
                setattr(ticket, name, None)
        if ticket.actual_end is None and ticket.kind == "change":
            ticket.outcome, ticket.rolled_back = "", None
        done = ticket.closed or ticket.resolved
        ticket.updated = done if done else x
        if ticket.kind == "change":
            ticket.status = (
                "Cancelled"
                if ticket.cancelled and ticket.closed
                else "Closed"
                if ticket.closed
                else "Review"
                if ticket.actual_end
                else "Implement"
                if ticket.actual_start
                else "Scheduled"
                if ticket.approval in ("Approved", "Not required")
                else "Awaiting approval"
            )
            return
        if ticket.kind == "problem":
            ticket.known_error = ticket.known_at is not None
            ticket.status = (
                "Closed"
                if ticket.closed
                else "Resolved"
                if ticket.resolved
                else "Known error"
                if ticket.known_at
                else "Under investigation"
            )
            return
        if ticket.cancelled and ticket.closed:
            ticket.status = ticket.code if ticket.kind == "request" else "Cancelled"
            ticket.responded = ticket.resolved = None
        elif ticket.closed:
            ticket.status = "Closed Complete" if ticket.kind == "request" else "Closed"
        elif ticket.resolved:
            ticket.status = "Resolved"
        elif ticket.responded:
            ticket.status = "On hold" if ticket.hold else "In progress"
        else:
            ticket.cancelled, ticket.status, ticket.reassigned = False, "New", 0

    def number(self) -> None:
        for tickets, prefix, first in (
            (self.incidents, "INC", 10_001),
            (self.requests, "RITM", 20_001),
            (self.problems, "PRB", 1_001),
            (self.changes, "CHG", 3_001),
        ):
            tickets.sort(key=lambda t: (t.opened, t.title))
            counter = first
            for ticket in tickets:
                if not ticket.number:
                    ticket.number = f"{prefix}{counter:07d}"
                    counter += 1


# -- the files and their mappings ---------------------------------------------------------------

Column = tuple[str, str, Callable[[Ticket], Any]]  # field, header, value

COMMON_HEAD: Final[tuple[Column, ...]] = (
    ("source_id", "Number", lambda t: t.number),
    ("title", "Short description", lambda t: t.title),
    ("status", "State", lambda t: t.status),
    ("category", "Category", lambda t: t.category),
    ("service", "Business service", lambda t: t.service),
    ("assignment_group", "Assignment group", lambda t: t.group),
    ("opened_at", "Opened", lambda t: t.opened),
)
COMMON_TAIL: Final[tuple[Column, ...]] = (
    ("closed_at", "Closed", lambda t: t.closed),
    ("updated_at", "Updated", lambda t: t.updated),
)
FILES: Final[dict[str, tuple[Column, ...]]] = {
    "incident": (
        *COMMON_HEAD,
        ("priority", "Priority", lambda t: PRIORITY_LABELS[t.priority]),
        ("impact", "Impact", lambda t: LEVELS[t.levels[0]]),
        ("urgency", "Urgency", lambda t: LEVELS[t.levels[1]]),
        ("configuration_item", "Configuration item", lambda t: t.ci),
        ("responded_at", "First response", lambda t: t.responded),
        ("resolved_at", "Resolved", lambda t: t.resolved),
        *COMMON_TAIL,
        ("reassignment_count", "Reassignment count", lambda t: t.reassigned),
        ("reopen_count", "Reopen count", lambda t: t.reopened),
        ("resolution_code", "Close code", lambda t: t.code if t.closed or t.resolved else ""),
        ("problem_id", "Problem", lambda t: t.problem.number if t.problem else ""),
        (
            "caused_by_change",
            "Caused by change",
            lambda t: t.caused_by.number if t.caused_by else "",
        ),
    ),
    "request": (
        *COMMON_HEAD,
        ("priority", "Priority", lambda t: PRIORITY_LABELS[t.priority]),
        ("responded_at", "Acknowledged", lambda t: t.responded),
        ("resolved_at", "Fulfilled", lambda t: t.resolved),
        *COMMON_TAIL,
        ("reassignment_count", "Reassignment count", lambda t: t.reassigned),
    ),
    "problem": (
        *COMMON_HEAD,
        ("configuration_item", "Configuration item", lambda t: t.ci),
        ("resolved_at", "Resolved", lambda t: t.resolved),
        *COMMON_TAIL,
        ("root_cause", "Root cause", lambda t: t.root_cause),
        ("workaround", "Workaround", lambda t: t.workaround),
        ("known_error", "Known error", lambda t: t.known_error),
        ("change_id", "Fixed by change", lambda t: t.change.number if t.change else ""),
        ("resolution_code", "Close code", lambda t: t.code if t.closed or t.resolved else ""),
    ),
    "change": (
        *COMMON_HEAD,
        ("configuration_item", "Configuration item", lambda t: t.ci),
        ("change_type", "Type", lambda t: t.change_type),
        ("risk", "Risk", lambda t: t.risk),
        ("cab_required", "CAB required", lambda t: t.cab),
        ("approval", "Approval", lambda t: t.approval),
        ("planned_start", "Planned start", lambda t: t.planned_start),
        ("planned_end", "Planned end", lambda t: t.planned_end),
        ("actual_start", "Actual start", lambda t: t.actual_start),
        ("actual_end", "Actual end", lambda t: t.actual_end),
        ("resolved_at", "Implemented", lambda t: t.resolved if t.actual_end else None),
        *COMMON_TAIL,
        ("outcome", "Outcome", lambda t: t.outcome),
        ("rolled_back", "Rolled back", lambda t: t.rolled_back),
    ),
}
# The tool's states that the common maps do not know.
VALUE_MAPS: Final[dict[str, dict[str, dict[str, str]]]] = {
    "incident": {},
    "request": {"status": {"Closed Incomplete": "cancelled"}},
    "problem": {"status": {"Known error": "in_progress"}},
    "change": {
        "status": {
            "Scheduled": "pending",
            "Implement": "in_progress",
            "Review": "resolved",
        },
    },
}
KIND_FILES: Final = {
    "incident": "incidents",
    "request": "requests",
    "problem": "problems",
    "change": "changes",
}


def file_name(kind: str) -> str:
    return f"demo-helpdesk-{KIND_FILES[kind]}.csv"


def _cell(value: Any, date_format: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return value.strftime(date_format)
    return str(value)


def export(tickets: list[Ticket], kind: str, date_format: str) -> bytes:
    """The CSV file of ``tickets`` as the tool would export them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = FILES[kind]
    writer.writerow([header for _, header, _ in columns])
    for ticket in tickets:
        writer.writerow([_cell(value(ticket), date_format) for _, _, value in columns])
    return buffer.getvalue().encode()


def build_story(plan: OrgPlan, end: datetime, zone: ZoneInfo, outages: Iterable[Outage]) -> Story:
    story = Story(plan, end, outages, zone)
    story.build()
    return story


def populate(org: Any, people: dict[str, Any]) -> None:
    """Called by ``itsms demo`` inside ``org_scope(org)`` for each demo organisation."""
    done = set(
        ImportRun.objects.filter(
            status=RunStatus.SUCCEEDED,
            dry_run=False,
            file_name__in=[file_name(kind) for kind in FILES],
        ).values_list("file_name", flat=True)
    )
    if len(done) == len(FILES):
        return
    plan = PLANS.get(org.time_zone, PLANS["Europe/London"])
    zone = ZoneInfo(org.time_zone)
    now = timezone.now().astimezone(zone)
    end = datetime(now.year, now.month, 1)
    outages = Outage.objects.exclude(ends_at=None).select_related("service").order_by("starts_at")
    story = build_story(plan, end, zone, outages)
    for kind, tickets in (
        ("change", story.changes),
        ("problem", story.problems),
        ("incident", story.incidents),
        ("request", story.requests),
    ):
        name = file_name(kind)
        if name in done:
            continue
        mapping = save_mapping(
            organisation=org,
            name=f"Demo helpdesk {KIND_FILES[kind]}",
            source="csv",
            kind=kind,
            columns={field_name: header for field_name, header, _ in FILES[kind]},
            value_maps=VALUE_MAPS[kind],
        )
        run = run_import(
            organisation=org,
            user=people.get("manager"),
            file=SimpleUploadedFile(name, export(tickets, kind, plan.date_format)),
            file_name=name,
            source="csv",
            kind=kind,
            mapping=mapping,
            tz=org.time_zone,
            date_order=plan.date_order,
        )
        if run.status != RunStatus.SUCCEEDED:  # the demo's own data: fail loudly
            raise RuntimeError(f"The demo {KIND_FILES[kind]} were not imported: {run.message}")
