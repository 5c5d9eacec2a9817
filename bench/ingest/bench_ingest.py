"""How fast the ingest library reads a ServiceNow audit-log export, and in how much memory.

Run: .venv/bin/python bench/ingest/bench_ingest.py [ROWS ...]   (default: 100000 1000000)

For each size it writes a synthetic audit-log CSV (the 36 columns of the shared ServiceNow
sample, about 6.5 rows per incident, day-first minute timestamps in Europe/Amsterdam,
contiguous rows per incident) to a temporary folder, then measures in a fresh child
process each:

* ``scan``: ``csv.reader`` over the file and nothing else (the floor for a stdlib parser);
* ``records``: ``open_records(...)`` parsing, normalising and rebuilding every history;
* ``records+clock``: the same, turning each batch of 10,000 records into ``ClockColumns``.

Rows per second are given per wall-clock second and per CPU second of the child (the
second is steadier on a shared machine). Peak memory is the child's ``ru_maxrss``
(resource.getrusage), with its RSS after imports and before reading for comparison; a flat
peak across sizes shows memory does not grow with the file. No Django is involved.
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

HEADER = [
    *("number", "incident_state", "active", "reassignment_count", "reopen_count"),
    *("sys_mod_count", "made_sla", "caller_id", "opened_by", "opened_at", "sys_created_by"),
    *("sys_created_at", "sys_updated_by", "sys_updated_at", "contact_type", "location"),
    *("category", "subcategory", "u_symptom", "cmdb_ci", "impact", "urgency", "priority"),
    *("assignment_group", "assigned_to", "knowledge", "u_priority_confirmation", "notify"),
    *("problem_id", "rfc", "vendor", "caused_by", "closed_code", "resolved_by", "resolved_at"),
    "closed_at",
]
LEVELS = ["1 - High", "2 - Medium", "3 - Low"]
PRIORITIES = ["1 - Critical", "2 - High", "3 - Moderate", "4 - Low"]
WAITS = ["Awaiting User Info", "Awaiting Problem", "Awaiting Vendor", "Awaiting Evidence"]
FORMAT = "%d-%m-%Y %H:%M"
TIME_ZONE = "Europe/Amsterdam"
BATCH = 10_000


def generate(path: Path, rows: int, seed: int = 20_000) -> tuple[int, int]:
    """Write a synthetic audit-log export of about ``rows`` rows; return (rows, incidents)."""
    rng = random.Random(seed)
    opened = datetime(2023, 1, 13, 8, 0)  # day 13 first: the date order is detected
    written = incidents = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        while written < rows:
            incidents += 1
            number = f"INC{incidents:07d}"
            opened += timedelta(minutes=rng.randint(1, 6))
            states = ["New", "Active"]
            for _ in range(rng.choice((0, 1, 1, 2))):
                states += [rng.choice(WAITS), "Active"]
            states += ["Resolved"] * rng.randint(1, 2) + ["Closed"]
            states = states[: rows - written]  # the last incident may be cut short
            groups = [f"Group {rng.randint(1, 80)}"]
            priority = rng.choice(PRIORITIES)
            at = opened + timedelta(minutes=rng.randint(1, 20))
            resolved_at = closed_at = "?"
            times = []
            for state in states:
                times.append(at)
                if state == "Resolved" and resolved_at == "?":
                    resolved_at = at.strftime(FORMAT)
                if state == "Closed":
                    closed_at = at.strftime(FORMAT)
                at += timedelta(minutes=rng.randint(1, 3000))
            impact, urgency = rng.choice(LEVELS), rng.choice(LEVELS)
            caller, category = f"Caller {rng.randint(1, 5000)}", f"Category {rng.randint(1, 60)}"
            opened_text = opened.strftime(FORMAT)
            for seq, (state, at) in enumerate(zip(states, times, strict=True)):
                if state == "Active" and rng.random() < 0.15:
                    groups.append(f"Group {rng.randint(1, 80)}")
                if rng.random() < 0.03:
                    priority = rng.choice(PRIORITIES)
                writer.writerow(
                    [
                        number,
                        state,
                        "FALSE" if state == "Closed" else "TRUE",
                        len(groups) - 1,
                        0,
                        seq,
                        "TRUE",
                        caller,
                        f"Opened by {rng.randint(1, 200)}",
                        opened_text,
                        "Created by 6",
                        opened_text,
                        f"Updated by {rng.randint(1, 900)}",
                        at.strftime(FORMAT),
                        "Phone",
                        "Location 143",
                        category,
                        "Subcategory 170",
                        "Symptom 72",
                        "?",
                        impact,
                        urgency,
                        priority,
                        groups[-1],
                        "?",
                        "TRUE",
                        "FALSE",
                        "Do Not Notify",
                        "?",
                        "?",
                        "?",
                        "?",
                        "code 5",
                        "Resolved by 149",
                        resolved_at,
                        closed_at,
                    ]
                )
                written += 1
    return written, incidents


def rss_mib() -> float:
    """Current resident set size in MiB (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(mode: str, path: str) -> dict[str, float]:
    """Run one measurement in this (child) process."""
    from openitsms.operations.ingest import Rejection, clock_columns, open_records

    before = rss_mib()
    started, cpu_started = time.perf_counter(), time.process_time()
    rows = records = rejected = 0
    if mode == "scan":
        with open(path, newline="", encoding="utf-8") as handle:
            for _ in csv.reader(handle):
                rows += 1
        rows -= 1
    else:
        with open_records(path, source="servicenow", kind="incident", tz=TIME_ZONE) as stream:
            batch = []
            for item in stream:
                if isinstance(item, Rejection):
                    rejected += 1
                    continue
                records += 1
                if mode == "records+clock":
                    batch.append(item)
                    if len(batch) == BATCH:
                        clock_columns(batch)
                        batch = []
            if batch:
                clock_columns(batch)
            rows = stream.rows_read
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux -> MiB
    return {
        "rows": rows,
        "records": records,
        "rejected": rejected,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "cpu_seconds": cpu_seconds,
        "rows_per_cpu_s": rows / cpu_seconds,
        "rss_before_mib": before,
        "peak_rss_mib": peak,
    }


def main(sizes: list[int]) -> None:
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(
        "| rows | incidents | file MB | mode | records / rejected | wall s | rows/s (wall) "
        "| rows/s (CPU) | RSS before | peak RSS |"
    )
    print("| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = Path(folder) / f"audit_{size}.csv"
            rows, incidents = generate(path, size)
            megabytes = path.stat().st_size / 1e6
            for mode in ("scan", "records", "records+clock"):
                child = subprocess.run(
                    [sys.executable, __file__, "--measure", mode, str(path)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                result = json.loads(child.stdout)
                print(
                    f"| {rows:,} | {incidents:,} | {megabytes:,.0f} | {mode} "
                    f"| {result['records']:,} / {result['rejected']:,} "
                    f"| {result['seconds']:.1f} | {result['rows_per_s']:,.0f} "
                    f"| {result['rows_per_cpu_s']:,.0f} "
                    f"| {result['rss_before_mib']:.0f} MiB | {result['peak_rss_mib']:.0f} MiB |",
                    flush=True,
                )
            path.unlink()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
    else:
        main([int(arg) for arg in sys.argv[1:]] or [100_000, 1_000_000])
