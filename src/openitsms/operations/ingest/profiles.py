"""Source profiles: which columns of a tool's export fill which of our fields, and its values.

A :class:`Profile` lists, per field, the headers the tool writes for it — the database
field name and the label its list view exports (``opened_at`` / ``Opened``) — best first;
matching ignores case and separators (:func:`~.fields.header_key`). It also carries the
tool's value maps (per field) and patterns. The caller may add a column mapping and value
maps over any profile; the ``csv`` profile has no columns of its own and needs a mapping.

Facts about the exports are in ``itsm-data.md`` §6. Notable choices:

* ServiceNow incident states: numeric ``1`` New, ``2`` In Progress, ``3`` On Hold, ``6``
  Resolved, ``7`` Closed, ``8`` Canceled; ``4`` and ``5`` (Awaiting ... in older releases)
  are pending. Labels ``Active`` -> in progress and ``Awaiting ...`` -> pending. ``-100``
  keeps the previous status (see :mod:`.valuemaps`).
* ServiceNow requested items have no resolved state: ``Closed Complete`` is closed,
  ``Closed Incomplete`` and ``Closed Skipped`` (not fulfilled) are cancelled.
* GLPI priorities 1–6 (very low .. major): ``6`` and ``5`` are P1, ``4`` P2, ``3`` P3, ``2`` P4,
  ``1`` P5, so GLPI's default Medium is our P3 as ServiceNow's Moderate is. Its urgency and
  impact 1–5 fold to low (1, 2), medium (3), high (4, 5). French labels are accepted.
* iTop impact ``1`` (a department) is high, ``2`` (a service) medium, ``3`` (a person) low;
  urgency ``1``/``2`` high, ``3`` medium, ``4`` low. ``escalated_tto`` is still new,
  ``waiting_for_approval`` pending, ``rejected`` cancelled.
* Jira Service Management kinds come from the ``Issue Type`` column (``[System] Incident``
  too); its SLA columns hold remaining time (``-h:mm`` = breached).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from .records import Kind
from .valuemaps import COMMON_LEVELS, COMMON_STATUSES, KEEP_PREVIOUS

SourceName = Literal["servicenow", "jira", "glpi", "itop", "csv"]
SOURCES: Final[tuple[SourceName, ...]] = ("servicenow", "jira", "glpi", "itop", "csv")


@dataclass(frozen=True)
class Profile:
    """How one tool's export of one kind (or of mixed kinds) reads into our fields.

    ``kind`` is the kind of every row, or ``None`` when a ``kind`` column (or the caller)
    decides. ``audit_log`` says the export may hold one row per update (decided from the
    data, see :func:`~.stream.open_records`). ``value_maps`` and ``patterns`` are per field
    name; fields without their own use the common defaults of their type.
    """

    name: str
    source: SourceName
    kind: Kind | None
    columns: Mapping[str, tuple[str, ...]]
    value_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    patterns: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    audit_log: bool = False
    description: str = ""


# --- ServiceNow -------------------------------------------------------------------------

_SN_COMMON: Final[dict[str, tuple[str, ...]]] = {
    "source_id": ("number",),
    "title": ("short_description", "Short description"),
    "priority": ("priority",),
    "impact": ("impact",),
    "urgency": ("urgency",),
    "category": ("category",),
    "service": ("business_service", "Service", "Business service"),
    "configuration_item": ("cmdb_ci", "Configuration item"),
    "assignment_group": ("assignment_group", "Assignment group"),
    "opened_at": ("opened_at", "Opened", "sys_created_on", "Created"),
    "resolved_at": ("resolved_at", "Resolved"),
    "closed_at": ("closed_at", "Closed"),
    "updated_at": ("sys_updated_at", "sys_updated_on", "Updated"),
    "sequence": ("sys_mod_count", "Updates"),
    "reassignment_count": ("reassignment_count", "Reassignment count"),
    "reopen_count": ("reopen_count", "Reopen count"),
    "made_sla": ("made_sla", "Made SLA"),
}

SERVICENOW_INCIDENT_STATES: Final[dict[str, str]] = {
    **COMMON_STATUSES,
    "1": "new",
    "2": "in_progress",
    "3": "pending",
    "4": "pending",
    "5": "pending",
    "6": "resolved",
    "7": "closed",
    "8": "cancelled",
    "-100": KEEP_PREVIOUS,
}
SERVICENOW_PRIORITIES: Final[dict[str, str]] = {
    "1 - critical": "P1",
    "2 - high": "P2",
    "3 - moderate": "P3",
    "4 - low": "P4",
    "5 - planning": "P5",
    "critical": "P1",
    "high": "P2",
    "moderate": "P3",
    "low": "P4",
    "planning": "P5",
}
_SN_PRIORITY_PATTERNS: Final = ((r"^([1-5])(?:\s*-.*)?$", r"P\1"),)
SERVICENOW_RISKS: Final[dict[str, str]] = {
    "1": "high",
    "2": "high",
    "3": "medium",
    "4": "low",
    "very high": "high",
    "high": "high",
    "moderate": "medium",
    "low": "low",
    "none": "low",
}

SERVICENOW_INCIDENT: Final = Profile(
    name="servicenow_incident",
    source="servicenow",
    kind="incident",
    columns={
        **_SN_COMMON,
        "status": ("incident_state", "state", "Incident state"),
        "resolution_code": ("close_code", "closed_code", "Resolution code"),
        "problem_id": ("problem_id", "Problem"),
        "change_id": ("rfc", "Change Request"),
        "caused_by_change": ("caused_by", "Caused by Change"),
    },
    value_maps={"status": SERVICENOW_INCIDENT_STATES, "priority": SERVICENOW_PRIORITIES},
    patterns={"priority": _SN_PRIORITY_PATTERNS},
    audit_log=True,
    description="ServiceNow incident table export, or its audit-log export (one row per update)",
)

SERVICENOW_PROBLEM: Final = Profile(
    name="servicenow_problem",
    source="servicenow",
    kind="problem",
    columns={
        **_SN_COMMON,
        "status": ("problem_state", "state"),
        "resolution_code": ("resolution_code", "Resolution code"),
        "change_id": ("rfc", "Change Request"),
        "root_cause": ("cause_notes", "Cause notes", "Root cause"),
        "workaround": ("workaround",),
        "known_error": ("known_error", "Known error"),
    },
    value_maps={
        "status": {
            **COMMON_STATUSES,
            "assess": "in_progress",
            "root cause analysis": "in_progress",
            "fix in progress": "in_progress",
            "known error": "in_progress",
            "pending change": "in_progress",
            "closed/resolved": "closed",
            "1": "new",
            "2": "in_progress",
            "3": "in_progress",
            "4": "closed",
            "101": "new",
            "102": "in_progress",
            "103": "in_progress",
            "104": "in_progress",
            "106": "resolved",
            "107": "closed",
        },
        "priority": SERVICENOW_PRIORITIES,
    },
    patterns={"priority": _SN_PRIORITY_PATTERNS},
    description="ServiceNow problem table export",
)

SERVICENOW_CHANGE_REQUEST: Final = Profile(
    name="servicenow_change_request",
    source="servicenow",
    kind="change",
    columns={
        **_SN_COMMON,
        "status": ("state",),
        "change_type": ("type",),
        "risk": ("risk",),
        "planned_start": ("start_date", "Planned start date"),
        "planned_end": ("end_date", "Planned end date"),
        "actual_start": ("work_start", "Actual start date"),
        "actual_end": ("work_end", "Actual end date"),
        "outcome": ("close_code", "Close code"),
        "cab_required": ("cab_required", "CAB required"),
        "approval": ("approval",),
        "rolled_back": ("u_rolled_back", "rolled_back", "backed_out", "Backed out"),
    },
    value_maps={
        "status": {
            **COMMON_STATUSES,
            "assess": "in_progress",
            "authorize": "in_progress",
            "scheduled": "in_progress",
            "implement": "in_progress",
            "review": "in_progress",
            "-5": "new",
            "-4": "in_progress",
            "-3": "in_progress",
            "-2": "in_progress",
            "-1": "in_progress",
            "0": "in_progress",
            "3": "closed",
            "4": "cancelled",
        },
        "priority": SERVICENOW_PRIORITIES,
        "risk": SERVICENOW_RISKS,
    },
    patterns={"priority": _SN_PRIORITY_PATTERNS},
    description="ServiceNow change_request table export",
)

SERVICENOW_SC_REQ_ITEM: Final = Profile(
    name="servicenow_sc_req_item",
    source="servicenow",
    kind="request",
    columns={
        **_SN_COMMON,
        "status": ("state",),
        "category": ("cat_item", "Item", "category"),
    },
    value_maps={
        "status": {
            **COMMON_STATUSES,
            "closed complete": "closed",
            "closed incomplete": "cancelled",
            "closed skipped": "cancelled",
            "1": "new",
            "2": "in_progress",
            "-5": "pending",
            "3": "closed",
            "4": "cancelled",
            "7": "cancelled",
        },
        "priority": SERVICENOW_PRIORITIES,
    },
    patterns={"priority": _SN_PRIORITY_PATTERNS},
    description="ServiceNow requested item (sc_req_item) table export",
)

# --- Jira Service Management -------------------------------------------------------------

JIRA: Final = Profile(
    name="jira",
    source="jira",
    kind=None,
    columns={
        "source_id": ("Issue key",),
        "title": ("Summary",),
        "kind": ("Issue Type",),
        "status": ("Status",),
        "priority": ("Priority",),
        "opened_at": ("Created",),
        "updated_at": ("Updated",),
        "resolved_at": ("Resolved",),
        "resolution_code": ("Resolution",),
        "category": ("Custom field (Request Type)", "Request Type"),
        "service": ("Custom field (Affected services)", "Affected services"),
        "assignment_group": ("Custom field (Team)", "Team"),
        "impact": ("Custom field (Impact)", "Impact"),
        "urgency": ("Custom field (Urgency)", "Urgency"),
        "response_remaining_s": ("Custom field (Time to first response)",),
        "resolution_remaining_s": ("Custom field (Time to resolution)",),
        "change_type": ("Custom field (Change type)", "Change type"),
        "risk": ("Custom field (Change risk)", "Change risk"),
        "planned_start": ("Custom field (Change start date)", "Change start date"),
        "planned_end": ("Custom field (Change completion date)", "Change completion date"),
        "root_cause": ("Custom field (Root cause)", "Root cause"),
        "workaround": ("Custom field (Workaround)", "Workaround"),
    },
    value_maps={
        "kind": {"it help": "request", "support": "request"},
        "status": {
            **COMMON_STATUSES,
            "waiting for support": "new",
            "waiting for customer": "pending",
            "escalated": "in_progress",
            "under review": "in_progress",
            "planning": "in_progress",
            "awaiting cab approval": "in_progress",
            "awaiting implementation": "in_progress",
            "implementing": "in_progress",
            "peer review": "in_progress",
            "won't do": "cancelled",
            "failed": "closed",
        },
        "priority": {
            "highest": "P1",
            "blocker": "P1",
            "critical": "P1",
            "high": "P2",
            "major": "P2",
            "medium": "P3",
            "low": "P4",
            "minor": "P4",
            "lowest": "P5",
            "trivial": "P5",
        },
    },
    patterns={"status": ((r"^(awaiting|waiting)\b", "pending"),)},
    description="Jira Service Management CSV export (all fields or current fields)",
)

# --- GLPI ----------------------------------------------------------------------------------

_GLPI_LEVELS: Final[dict[str, str]] = {
    "1": "low",
    "2": "low",
    "3": "medium",
    "4": "high",
    "5": "high",
    "very low": "low",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "very high": "high",
    "très basse": "low",
    "basse": "low",
    "moyenne": "medium",
    "haute": "high",
    "très haute": "high",
}

GLPI: Final = Profile(
    name="glpi",
    source="glpi",
    kind=None,
    columns={
        "source_id": ("id", "ID"),
        "title": ("name", "Title", "Titre"),
        "kind": ("type", "Type"),
        "status": ("status", "Status", "Statut"),
        "priority": ("priority", "Priority", "Priorité"),
        "urgency": ("urgency", "Urgency", "Urgence"),
        "impact": ("impact", "Impact"),
        "category": ("itilcategories_id", "Category", "Catégorie"),
        "assignment_group": ("groups_id_assign", "Assigned to - Group", "Assigned group"),
        "opened_at": ("date", "Opening date", "Date d'ouverture"),
        "responded_at": ("takeintoaccountdate", "Take into account date"),
        "resolved_at": ("solvedate", "Resolution date", "Date de résolution"),
        "closed_at": ("closedate", "Closing date", "Date de clôture"),
        "updated_at": ("date_mod", "Last update", "Dernière modification"),
    },
    value_maps={
        "kind": {
            "1": "incident",
            "2": "request",
            "incident": "incident",
            "request": "request",
            "demande": "request",
        },
        "status": {
            "1": "new",
            "2": "in_progress",
            "3": "in_progress",
            "4": "pending",
            "5": "resolved",
            "6": "closed",
            "new": "new",
            "processing (assigned)": "in_progress",
            "processing (planned)": "in_progress",
            "assigned": "in_progress",
            "planned": "in_progress",
            "pending": "pending",
            "solved": "resolved",
            "closed": "closed",
            "nouveau": "new",
            "en cours (attribué)": "in_progress",
            "en cours (planifié)": "in_progress",
            "en attente": "pending",
            "résolu": "resolved",
            "clos": "closed",
        },
        "priority": {
            "6": "P1",
            "5": "P1",
            "4": "P2",
            "3": "P3",
            "2": "P4",
            "1": "P5",
            "major": "P1",
            "very high": "P1",
            "high": "P2",
            "medium": "P3",
            "low": "P4",
            "very low": "P5",
            "majeure": "P1",
            "très haute": "P1",
            "haute": "P2",
            "moyenne": "P3",
            "basse": "P4",
            "très basse": "P5",
        },
        "urgency": _GLPI_LEVELS,
        "impact": _GLPI_LEVELS,
    },
    patterns={"priority": (), "status": ()},
    description="GLPI ticket export (numeric codes or display labels, English or French)",
)

# --- iTop ------------------------------------------------------------------------------------

ITOP: Final = Profile(
    name="itop",
    source="itop",
    kind=None,
    columns={
        "source_id": ("ref", "Ref", "Reference"),
        "title": ("title", "Title"),
        "kind": ("request_type", "Request type"),
        "status": ("status", "Status"),
        "priority": ("priority", "Priority"),
        "impact": ("impact", "Impact"),
        "urgency": ("urgency", "Urgency"),
        "service": ("service_id_friendlyname", "service_name", "Service", "service_id"),
        "category": ("servicesubcategory_id_friendlyname", "servicesubcategory_name"),
        "assignment_group": ("team_id_friendlyname", "team_name", "Team", "team_id"),
        "opened_at": ("start_date", "Start date"),
        "responded_at": ("assignment_date", "Assignment date"),
        "resolved_at": ("resolution_date", "Resolution date"),
        "closed_at": ("close_date", "Close date"),
        "updated_at": ("last_update", "Last update"),
        "resolution_code": ("resolution_code", "Resolution code"),
        "problem_id": ("parent_problem_id_friendlyname", "parent_problem_ref", "parent_problem_id"),
        "change_id": ("parent_change_id_friendlyname", "parent_change_ref", "parent_change_id"),
        "response_breached": ("sla_tto_passed", "SLA tto passed"),
        "resolution_breached": ("sla_ttr_passed", "SLA ttr passed"),
    },
    value_maps={
        "kind": {"incident": "incident", "service request": "request"},
        "status": {
            **COMMON_STATUSES,
            "escalated tto": "new",
            "dispatched": "new",
            "redispatched": "new",
            "escalated ttr": "in_progress",
            "approved": "in_progress",
            "waiting for approval": "pending",
            "rejected": "cancelled",
        },
        "priority": {
            "1": "P1",
            "2": "P2",
            "3": "P3",
            "4": "P4",
            "critical": "P1",
            "high": "P2",
            "medium": "P3",
            "low": "P4",
        },
        "impact": {
            "1": "high",
            "2": "medium",
            "3": "low",
            "a department": "high",
            "a service": "medium",
            "a person": "low",
        },
        "urgency": {
            "1": "high",
            "2": "high",
            "3": "medium",
            "4": "low",
            "critical": "high",
            "high": "high",
            "medium": "medium",
            "low": "low",
        },
    },
    patterns={"priority": ()},
    description="iTop user request or incident CSV export (codes or labels)",
)

# --- anything else ---------------------------------------------------------------------------

GENERIC_CSV: Final = Profile(
    name="csv",
    source="csv",
    kind=None,
    columns={},
    value_maps={"impact": COMMON_LEVELS, "urgency": COMMON_LEVELS},
    audit_log=True,
    description="Any CSV or XLSX file, read through a column mapping",
)

PROFILES: Final[dict[str, Profile]] = {
    profile.name: profile
    for profile in (
        SERVICENOW_INCIDENT,
        SERVICENOW_PROBLEM,
        SERVICENOW_CHANGE_REQUEST,
        SERVICENOW_SC_REQ_ITEM,
        JIRA,
        GLPI,
        ITOP,
        GENERIC_CSV,
    )
}

_SERVICENOW_BY_KIND: Final[dict[str, Profile]] = {
    "incident": SERVICENOW_INCIDENT,
    "problem": SERVICENOW_PROBLEM,
    "change": SERVICENOW_CHANGE_REQUEST,
    "request": SERVICENOW_SC_REQ_ITEM,
}


def profile_for(source: SourceName, kind: Kind | None = None) -> Profile:
    """The profile for ``source`` (and, for ServiceNow, whose tables differ, ``kind``)."""
    if source == "servicenow":
        if kind is None:
            raise ValueError(
                "a ServiceNow export needs its kind: incident, request, problem or change"
            )
        return _SERVICENOW_BY_KIND[kind]
    by_source: dict[str, Profile] = {"jira": JIRA, "glpi": GLPI, "itop": ITOP, "csv": GENERIC_CSV}
    try:
        return by_source[source]
    except KeyError:
        raise ValueError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}") from None
