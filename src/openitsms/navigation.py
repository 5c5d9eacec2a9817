"""The organisation's side navigation, grouped by what people do.

An entry whose page does not exist (its app is not installed) is left out, so the menu never
links to a missing page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse

Match = Callable[[str, str], bool]  # (namespace, full view name) -> is this entry current?


def in_namespace(*namespaces: str) -> Match:
    return lambda ns, name: ns in namespaces


def named(*fragments: str, namespace: str) -> Match:
    return lambda ns, name: ns == namespace and any(f in name for f in fragments)


def _audits_internal(ns: str, name: str) -> bool:
    return ns == "audits" and not any(k in name for k in ("cycle", "external", "preparation"))


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    is_current: Match


@dataclass
class Link:
    label: str
    url: str
    current: bool


@dataclass
class Section:
    title: str
    links: list[Link] = field(default_factory=list)


SECTIONS: list[tuple[str, list[Entry]]] = [
    (
        "",
        [Entry("Overview", "tenancy:org_home", lambda ns, name: name == "tenancy:org_home")],
    ),
    (
        "Management system",
        [
            Entry("Requirements", "catalogue:requirement_list", in_namespace("catalogue")),
            Entry("Processes", "processes:process_list", in_namespace("processes")),
            Entry("Evidence", "evidence:evidence_list", in_namespace("evidence")),
        ],
    ),
    (
        "Service delivery",
        [
            Entry("Services and agreements", "services:service_list", in_namespace("services")),
            Entry("Operations", "operations:records", in_namespace("operations")),
        ],
    ),
    (
        "Audit and improvement",
        [
            Entry("Internal audits", "audits:audit_home", _audits_internal),
            Entry(
                "Certification",
                "audits:cycle_list",
                named("cycle", "external", "preparation", namespace="audits"),
            ),
            Entry(
                "Nonconformities",
                "improvement:nonconformity_list",
                lambda ns, name: (
                    (ns == "improvement" and "nonconformit" in name)
                    or name == "improvement:check_record"
                ),
            ),
            Entry("Actions", "improvement:action_list", named("action", namespace="improvement")),
            Entry(
                "Improvements",
                "improvement:improvement_list",
                lambda ns, name: (
                    (ns == "improvement" and "improvement_" in name)
                    or name in {"improvement:target_create", "improvement:target_edit"}
                ),
            ),
        ],
    ),
    (
        "Organisation",
        [
            Entry("Members", "tenancy:member_list", lambda ns, name: name == "tenancy:member_list"),
            Entry("Audit trail", "audit:org_log", in_namespace("audit")),
            Entry("Background jobs", "jobs:job_list", in_namespace("jobs")),
        ],
    ),
]


def build(org_slug: str, resolver_match: Any) -> list[Section]:
    ns = getattr(resolver_match, "namespace", "") or ""
    name = getattr(resolver_match, "view_name", "") or ""
    sections = []
    for title, entries in SECTIONS:
        section = Section(title)
        for entry in entries:
            try:
                url = reverse(entry.url_name, kwargs={"org_slug": org_slug})
            except NoReverseMatch:
                continue
            section.links.append(Link(entry.label, url, entry.is_current(ns, name)))
        if section.links:
            sections.append(section)
    return sections
