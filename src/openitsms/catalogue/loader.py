"""Loads the catalogue data files into the database: idempotent, all-or-nothing.

Requirements are matched by their stable ``key``, so loading again updates text in place and
never touches any organisation's conformity assessments. A later edition is loaded beside this
one; its ``supersedes`` lists map its requirements to the old keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

DATA_DIR = Path(__file__).resolve().parent / "data"
PRIMARY_FILE = "iso20000-1-2018.json"
CROSSWALK_FILE = "crosswalks.json"
NOT_CATALOGUES = {CROSSWALK_FILE, "default_processes.json"}


def catalogue_files(data_dir: Path) -> list[str]:
    """Every standard-edition file in ``data_dir``; a new edition is loaded beside the old."""
    return sorted(p.name for p in data_dir.glob("*.json") if p.name not in NOT_CATALOGUES)


@dataclass
class LoadResult:
    standards: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    crosswalks: int = 0

    def __str__(self) -> str:
        return (
            f"{self.standards} standard(s): {self.created} requirement(s) created, "
            f"{self.updated} updated, {self.unchanged} unchanged; {self.crosswalks} crosswalk(s)"
        )


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    if data.get("schema") != 1:
        raise ValueError(f"{path.name}: unsupported schema {data.get('schema')!r}")
    return data


REQUIREMENT_FIELDS = [
    "number",
    "title",
    "guidance",
    "typical_evidence",
    "documented_information",
    "records",
    "topics",
    "common_findings",
]


@transaction.atomic
def load_catalogue(data_dir: Path = DATA_DIR, models: Any = None) -> LoadResult:
    """Upsert every standard, requirement and crosswalk from ``data_dir``."""
    if models is None:
        from openitsms.catalogue import models as live

        models = live
    Standard, Requirement, Crosswalk = models.Standard, models.Requirement, models.Crosswalk
    result = LoadResult()
    for name in catalogue_files(data_dir):
        data = _read(data_dir / name)
        meta = data["standard"]
        standard, _ = Standard.objects.update_or_create(
            key=meta["key"],
            defaults={
                "code": meta["code"],
                "edition": meta["edition"],
                "title": meta["title"],
                "data_version": meta.get("data_version", ""),
                "has_requirements": True,
            },
        )
        result.standards += 1
        existing = {r.key: r for r in Requirement.objects.filter(standard=standard)}
        by_number: dict[str, Any] = {}
        for position, item in enumerate(data["requirements"], start=1):
            values = {
                f: item.get(f, [] if f not in {"number", "title", "guidance"} else "")
                for f in REQUIREMENT_FIELDS
            }
            values["process_slug"] = item.get("process") or ""
            values["position"] = position
            values["depth"] = item["number"].count(".")
            values["parent"] = by_number[item["parent"]] if item.get("parent") else None
            requirement = existing.get(item["key"])
            if requirement is None:
                requirement = Requirement.objects.create(
                    standard=standard, key=item["key"], **values
                )
                result.created += 1
            else:
                changed = [f for f, v in values.items() if getattr(requirement, f) != v]
                if changed:
                    for f in changed:
                        setattr(requirement, f, values[f])
                    requirement.save(update_fields=changed)
                    result.updated += 1
                else:
                    result.unchanged += 1
            by_number[item["number"]] = requirement
            for old_key in item.get("supersedes", []):
                old = Requirement.objects.filter(key=old_key).first()
                if old is not None:
                    requirement.supersedes.add(old)
    result.crosswalks = _load_crosswalks(
        data_dir / CROSSWALK_FILE, Standard, Requirement, Crosswalk
    )
    return result


def _load_crosswalks(path: Path, Standard: Any, Requirement: Any, Crosswalk: Any) -> int:
    if not path.exists():
        return 0
    data = _read(path)
    for meta in data["standards"]:
        Standard.objects.update_or_create(
            key=meta["key"],
            defaults={"code": meta["code"], "edition": meta["edition"], "title": meta["title"]},
        )
    standards = {s.key: s for s in Standard.objects.all()}
    requirements = {r.key: r for r in Requirement.objects.all()}
    wanted = set()
    for mapping in data["mappings"]:
        requirement = requirements[mapping["from"]]
        target = standards[mapping["to_standard"]]
        for clause in mapping["to"]:
            wanted.add((requirement.pk, target.pk, clause))
            Crosswalk.objects.update_or_create(
                requirement=requirement,
                to_standard=target,
                to_clause=clause,
                defaults={"relation": mapping["relation"], "note": mapping.get("note", "")},
            )
    # Mappings removed from the data file are removed here too: the file is the truth.
    for row in Crosswalk.objects.all().values_list(
        "pk", "requirement_id", "to_standard_id", "to_clause"
    ):
        if row[1:] not in wanted:
            Crosswalk.objects.filter(pk=row[0]).delete()
    return len(wanted)


def load_after_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate hook: keep the reference data in step with the data files."""
    using = kwargs.get("using", "default")
    if using != "default":
        return
    from openitsms.catalogue.models import Standard

    data = _read(DATA_DIR / PRIMARY_FILE)
    current = Standard.objects.filter(key=data["standard"]["key"]).first()
    up_to_date = (
        current is not None
        and current.data_version == data["standard"].get("data_version", "")
        and current.requirements.exists()
    )
    if not up_to_date:
        load_catalogue()
