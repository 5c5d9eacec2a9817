"""Consistency checks for the catalogue data files (no Django, no database)."""

import json
import re
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "src/openitsms/catalogue/data"
STANDARD_KEY = "iso20000-1-2018"
RELATIONS = {"equivalent", "partial", "related"}
DIRECTIONS = {"higher_is_better", "lower_is_better"}
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# Every numbered item of clauses 4-10 in the domain notes §1, in document order.
_CLAUSE_TREE = """
4 4.1 4.2 4.3 4.4
5 5.1 5.2 5.2.1 5.2.2 5.3
6 6.1 6.2 6.2.1 6.2.2 6.3
7 7.1 7.2 7.3 7.4 7.5 7.5.1 7.5.2 7.5.3 7.5.4 7.6
8 8.1 8.2 8.2.1 8.2.2 8.2.3 8.2.4 8.2.5 8.2.6
8.3 8.3.1 8.3.2 8.3.3 8.3.4 8.3.4.1 8.3.4.2
8.4 8.4.1 8.4.2 8.4.3
8.5 8.5.1 8.5.1.1 8.5.1.2 8.5.1.3 8.5.2 8.5.2.1 8.5.2.2 8.5.2.3 8.5.3
8.6 8.6.1 8.6.2 8.6.3
8.7 8.7.1 8.7.2 8.7.3 8.7.3.1 8.7.3.2 8.7.3.3
9 9.1 9.2 9.3 9.4
10 10.1 10.2
"""
EXPECTED_NUMBERS = [n for line in _CLAUSE_TREE.splitlines() for n in line.split()]

CLAUSE_8_PROCESS_CLAUSES = [
    "8.2.4",
    "8.2.5",
    "8.2.6",
    "8.3.2",
    "8.3.3",
    "8.3.4",
    "8.4.1",
    "8.4.2",
    "8.4.3",
    "8.5.1",
    "8.5.2",
    "8.5.3",
    "8.6.1",
    "8.6.2",
    "8.6.3",
    "8.7.1",
    "8.7.2",
    "8.7.3",
]


def load(name):
    with (DATA / name).open(encoding="utf-8") as fh:
        return json.load(fh)


def as_tuple(number):
    return tuple(int(part) for part in number.split("."))


@pytest.fixture(scope="module")
def catalogue():
    return load("iso20000-1-2018.json")


@pytest.fixture(scope="module")
def requirements(catalogue):
    return catalogue["requirements"]


@pytest.fixture(scope="module")
def by_number(requirements):
    return {r["number"]: r for r in requirements}


@pytest.fixture(scope="module")
def crosswalks():
    return load("crosswalks.json")


@pytest.fixture(scope="module")
def processes():
    return load("default_processes.json")["processes"]


# ---------------------------------------------------------------- files


@pytest.mark.parametrize(
    "name", ["iso20000-1-2018.json", "crosswalks.json", "default_processes.json"]
)
def test_data_file_is_valid_json_with_schema_1(name):
    assert load(name)["schema"] == 1


def test_readme_exists():
    assert (DATA / "README.md").read_text(encoding="utf-8").strip()


def test_standard_header(catalogue):
    std = catalogue["standard"]
    assert std["key"] == STANDARD_KEY
    assert std["code"] == "ISO/IEC 20000-1"
    assert std["edition"] == "2018"
    assert re.fullmatch(r"\d{4}\.\d+", std["data_version"])


# ---------------------------------------------------------------- requirement tree


def test_exactly_77_requirements(requirements):
    assert len(requirements) == 77


def test_each_number_appears_exactly_once(requirements):
    numbers = [r["number"] for r in requirements]
    assert len(numbers) == len(set(numbers))


def test_numbers_match_the_clause_tree_of_the_domain_notes(requirements):
    assert len(EXPECTED_NUMBERS) == 77
    assert [r["number"] for r in requirements] == EXPECTED_NUMBERS


def test_top_clauses_4_to_10_present_without_parent(by_number):
    for top in ["4", "5", "6", "7", "8", "9", "10"]:
        assert by_number[top]["parent"] is None
    assert [n for n, r in by_number.items() if r["parent"] is None] == [
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
    ]


def test_every_parent_exists_and_precedes_its_child(requirements):
    position = {r["number"]: i for i, r in enumerate(requirements)}
    for i, r in enumerate(requirements):
        if r["parent"] is None:
            continue
        assert r["parent"] in position, r["number"]
        assert position[r["parent"]] < i, r["number"]
        assert r["number"].rsplit(".", 1)[0] == r["parent"], r["number"]


def test_keys_are_standard_key_and_number_and_unique(requirements):
    keys = [r["key"] for r in requirements]
    assert len(keys) == len(set(keys))
    for r in requirements:
        assert r["key"] == f"{STANDARD_KEY}:{r['number']}"


def test_order_is_natural_clause_order(requirements):
    tuples = [as_tuple(r["number"]) for r in requirements]
    assert tuples == sorted(tuples)
    # Catches string sorting, which would put "10" before "4".
    assert tuples[-1] == (10, 2)


def test_guidance_is_one_substantial_paragraph(requirements):
    for r in requirements:
        words = r["guidance"].split()
        assert len(words) >= 40, r["number"]
        assert len(words) <= 140, r["number"]
        assert "\n" not in r["guidance"], r["number"]


def test_list_fields_are_well_formed(requirements):
    for r in requirements:
        assert 3 <= len(r["typical_evidence"]) <= 6, r["number"]
        assert 1 <= len(r["topics"]) <= 4, r["number"]
        assert all(t == t.lower() and t for t in r["topics"]), r["number"]
        assert len(r["common_findings"]) <= 3, r["number"]
        for field in ("typical_evidence", "documented_information", "records", "common_findings"):
            assert all(isinstance(s, str) and s.strip() for s in r[field]), (r["number"], field)


@pytest.mark.parametrize(
    ("number", "title"),
    [
        ("4", "Context of the organization"),
        ("6.2.1", "Establish objectives"),
        ("6.2.2", "Plan to achieve objectives"),
        ("6.3", "Plan the service management system"),
        ("7.6", "Knowledge"),
        ("8.2.3", "Control of parties involved in the service lifecycle"),
        ("8.3.4.2", "Management of internal suppliers and customers acting as a supplier"),
        ("8.5.1.1", "Change management policy"),
        ("8.7.3.3", "Information security incidents"),
        ("9.4", "Service reporting"),
        ("10.1", "Nonconformity and corrective action"),
    ],
)
def test_spot_check_titles(by_number, number, title):
    assert by_number[number]["title"] == title


def test_6_3_is_not_the_harmonized_structure_planning_of_changes(by_number):
    assert "change" not in by_number["6.3"]["title"].lower()
    assert "service management plan" in [
        d.lower() for d in by_number["6.3"]["documented_information"]
    ]


def test_mandatory_documented_information_is_attached_to_its_clause(by_number):
    def docs(number):
        return " ".join(by_number[number]["documented_information"]).lower()

    assert "scope" in docs("4.3")
    assert "service management policy" in docs("5.2.1")
    assert "change management policy" in docs("8.5.1.1")
    assert "information security policy" in docs("8.7.3.1")
    assert "continuity plan" in docs("8.7.2")
    assert "catalogue" in docs("8.2.4")
    assert "service level agreements" in docs("8.3.3")
    assert "contracts with external suppliers" in docs("8.3.4.1")


def test_7_5_4_lists_every_mandatory_item_named_elsewhere(by_number):
    listed = set(by_number["7.5.4"]["documented_information"])
    for number in [
        "4.3",
        "4.4",
        "5.2.1",
        "6.2.1",
        "6.3",
        "8.2.2",
        "8.2.4",
        "8.3.3",
        "8.3.4.1",
        "8.3.4.2",
        "8.5.1.1",
        "8.7.3.1",
    ]:
        assert set(by_number[number]["documented_information"]) <= listed, number


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("7.2", "competence"),
        ("8.2.6", "configuration"),
        ("8.3.2", "complaints"),
        ("8.3.4.1", "disputes"),
        ("8.5.1.2", "requests for change"),
        ("8.6.1", "incidents"),
        ("8.6.2", "service requests"),
        ("8.6.3", "known errors"),
        ("8.7.1", "availability"),
        ("8.7.2", "continuity test"),
        ("8.7.3.3", "information security incidents"),
        ("9.1", "monitoring and measurement"),
        ("9.2", "audit programme"),
        ("9.3", "management review"),
        ("10.1", "nonconformities"),
        ("10.2", "opportunities for improvement"),
    ],
)
def test_records_to_retain_are_attached_to_their_clause(by_number, number, fragment):
    assert any(fragment in rec.lower() for rec in by_number[number]["records"])


def test_record_count_matches_records_table(requirements):
    assert sum(len(r["records"]) for r in requirements) == 16


# ---------------------------------------------------------------- crosswalks


def test_crosswalk_declares_three_target_standards(crosswalks):
    assert {s["key"] for s in crosswalks["standards"]} == {
        "iso9001-2015",
        "iso27001-2022",
        "iso22301-2019",
    }


def test_crosswalk_references_are_valid(crosswalks, requirements):
    keys = {r["key"] for r in requirements}
    declared = {s["key"] for s in crosswalks["standards"]}
    for m in crosswalks["mappings"]:
        assert m["from"] in keys, m["from"]
        assert m["to_standard"] in declared, m
        assert m["relation"] in RELATIONS, m
        assert m["to"] and all(re.fullmatch(r"(A\.)?\d+(\.\d+)*", t) for t in m["to"]), m
        assert m["note"].strip(), m


def _targets(crosswalks, frm, std, annex_a=False):
    out = []
    for m in crosswalks["mappings"]:
        if m["from"] == f"{STANDARD_KEY}:{frm}" and m["to_standard"] == std:
            out += [t for t in m["to"] if t.startswith("A.") == annex_a]
    return out


def test_27001_swaps_10_1_and_10_2(crosswalks):
    assert _targets(crosswalks, "10.1", "iso27001-2022") == ["10.2"]
    assert _targets(crosswalks, "10.2", "iso27001-2022") == ["10.1"]


def test_9001_improvement_numbering(crosswalks):
    assert _targets(crosswalks, "10.1", "iso9001-2015") == ["10.2"]
    assert _targets(crosswalks, "10.2", "iso9001-2015") == ["10.3"]


def test_22301_improvement_numbering_is_unchanged(crosswalks):
    assert _targets(crosswalks, "10.1", "iso22301-2019") == ["10.1"]
    assert _targets(crosswalks, "10.2", "iso22301-2019") == ["10.2"]


def test_knowledge_maps_to_9001_7_1_6(crosswalks):
    assert _targets(crosswalks, "7.6", "iso9001-2015") == ["7.1.6"]


def test_service_reporting_has_no_mapping(crosswalks):
    assert not [m for m in crosswalks["mappings"] if m["from"] == f"{STANDARD_KEY}:9.4"]


def test_6_3_mappings_warn_same_number_different_subject(crosswalks):
    found = [m for m in crosswalks["mappings"] if m["from"] == f"{STANDARD_KEY}:6.3"]
    assert {m["to_standard"] for m in found} == {"iso9001-2015", "iso27001-2022", "iso22301-2019"}
    for m in found:
        assert m["relation"] != "equivalent"
        assert "different subject" in m["note"].lower()


def test_clause_level_mappings_cover_clauses_4_to_10_for_each_standard(crosswalks, by_number):
    expected = [n for n in by_number if as_tuple(n)[0] != 8] + ["8.1"]
    for std in ("iso9001-2015", "iso27001-2022", "iso22301-2019"):
        mapped = {
            m["from"].split(":", 1)[1] for m in crosswalks["mappings"] if m["to_standard"] == std
        }
        # 9.4 has no counterpart; 7.6 and the 7.5 sub-clauses are not in every standard.
        optional = {"9.4", "7.6", "7.5.1", "7.5.2", "7.5.3", "7.5.4"}
        missing = [n for n in expected if n not in mapped and n not in optional]
        assert not missing, (std, missing)
        assert "9.4" not in mapped


def test_annex_a_ranges_are_expanded(crosswalks):
    assert _targets(crosswalks, "8.7.3.3", "iso27001-2022", annex_a=True) == [
        "A.5.24",
        "A.5.25",
        "A.5.26",
        "A.5.27",
        "A.5.28",
    ]
    assert "A.8.32" in _targets(crosswalks, "8.5.1", "iso27001-2022", annex_a=True)
    assert set(_targets(crosswalks, "8.3.4", "iso27001-2022", annex_a=True)) == {
        "A.5.19",
        "A.5.20",
        "A.5.21",
        "A.5.22",
        "A.5.23",
    }
    assert _targets(crosswalks, "7.5", "iso27001-2022", annex_a=True) == ["A.5.37"]


def test_single_source_annex_a_mappings_are_flagged(crosswalks):
    for m in crosswalks["mappings"]:
        if any(t.startswith("A.") for t in m["to"]):
            assert "mapping is our interpretation" in m["note"].lower(), m["from"]


# ---------------------------------------------------------------- processes


def test_process_slugs_are_unique_and_well_formed(processes):
    slugs = [p["slug"] for p in processes]
    assert len(slugs) == len(set(slugs))
    assert all(SLUG_RE.match(s) for s in slugs)


def test_requirement_processes_exist(requirements, processes):
    slugs = {p["slug"] for p in processes}
    for r in requirements:
        assert r["process"] is None or r["process"] in slugs, r["number"]


def test_interfaces_exist_and_are_not_self(processes):
    slugs = {p["slug"] for p in processes}
    for p in processes:
        assert p["interfaces"], p["slug"]
        for s in p["interfaces"]:
            assert s in slugs and s != p["slug"], (p["slug"], s)


def test_process_clauses_agree_with_requirement_process(processes, by_number):
    for p in processes:
        assert p["clauses"], p["slug"]
        for n in p["clauses"]:
            assert n in by_number, (p["slug"], n)
        owned = [n for n, r in by_number.items() if r["process"] == p["slug"]]
        assert sorted(p["clauses"], key=as_tuple) == sorted(owned, key=as_tuple), p["slug"]


@pytest.mark.parametrize("number", CLAUSE_8_PROCESS_CLAUSES)
def test_clause_8_process_clause_is_covered(processes, number):
    assert any(number in p["clauses"] for p in processes)


def test_every_requirement_below_heading_level_has_a_process_except_8_3_1(by_number):
    # Only group headings (clauses with children) may leave `process` empty, plus 8.3.1 General.
    parents = {r["parent"] for r in by_number.values()}
    orphans = [n for n, r in by_number.items() if r["process"] is None and n not in parents]
    assert orphans == ["8.3.1"]


def test_process_kinds_follow_clauses(processes):
    for p in processes:
        assert p["kind"] in {"operational", "management"}, p["slug"]
        in_8 = all(n.startswith("8.") for n in p["clauses"])
        assert (p["kind"] == "operational") == in_8, p["slug"]


def test_management_processes_present(processes):
    slugs = {p["slug"] for p in processes}
    for s in [
        "context-and-scope",
        "leadership-and-policy",
        "risk-and-opportunity-management",
        "objectives-and-planning",
        "competence-and-awareness",
        "communication",
        "documented-information-control",
        "knowledge-management",
        "monitoring-and-measurement",
        "internal-audit",
        "management-review",
        "service-reporting",
        "nonconformity-and-corrective-action",
        "continual-improvement",
    ]:
        assert s in slugs, s


def test_kpis_are_well_formed(processes):
    for p in processes:
        assert 1 <= len(p["kpis"]) <= 3, p["slug"]
        for k in p["kpis"]:
            assert k["name"].strip() and k["measurement"].strip() and k["unit"].strip(), p["slug"]
            assert k["direction"] in DIRECTIONS, (p["slug"], k["name"])
            assert isinstance(k["target"], (int, float)) and k["target"] >= 0, (
                p["slug"],
                k["name"],
            )
            if k["unit"] == "%":
                assert k["target"] <= 100, (p["slug"], k["name"])


def test_process_text_fields_present(processes):
    for p in processes:
        assert p["name"].strip() and p["purpose"].strip(), p["slug"]
        assert p["inputs"] and p["outputs"] and p["raci_activities"], p["slug"]


def test_incident_management_example(processes):
    incident = next(p for p in processes if p["slug"] == "incident-management")
    assert incident["kind"] == "operational"
    assert incident["clauses"] == ["8.6.1"]
    assert "problem-management" in incident["interfaces"]
