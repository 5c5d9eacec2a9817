"""End-to-end import benchmark: a synthetic ServiceNow audit-log export through ``run_import``.

Run from the repository root:

    .venv/bin/python bench/operations/bench_import.py [ROWS ...]          # SQLite (default 100000)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_ops \\
        .venv/bin/python bench/operations/bench_import.py 100000          # PostgreSQL

For each size the file is generated with bench/ingest's generator (the 36 columns of the
shared ServiceNow sample, ~6.5 rows per incident), then a fresh child process migrates an
empty database (not timed), creates one organisation and imports the file end to end: parse,
validate, rebuild histories, SLA clock (24×7 for every record), store (prepared rows), one audit
entry per created record, and monthly rollups. A second import of the same file (every record
unchanged) is timed too. Files of 64 MiB and more are read by a child process of the import
(openitsms.operations.ingest.process), whose peak is reported as well (Linux counts in it the
memory of the importer at the moment it was started, so that figure is an upper bound).
Reported: rows per second of wall-clock time, the child's CPU time (steadier than wall-clock
time on a shared machine; the database server's own work on PostgreSQL is not in it), the
child's peak memory (``ru_maxrss``) and, on Linux, the peak of the importer and its reading
process together (summed proportional set sizes, sampled every 20 ms: see MemoryWatch). On
PostgreSQL the database named in DATABASE_URL is dropped and recreated (never point it at a
database you need). Not part of the test suite.

In the same run, DuckDB's plain scan of the same file, ``SELECT count(*) FROM read_csv(...)``
(best of three, in its own child process with DuckDB's default threads), gives the yardstick
of the issue: the import's time divided by the scan's. Without the ``duckdb`` package (the
``bench`` extra: ``pip install -e '.[bench]'``) the scan and the ratio are skipped with a
message.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "bench_ingest", ROOT / "bench/ingest/bench_ingest.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class MemoryWatch:
    """The peak, over a run, of the memory of this process and its children together:
    their proportional set sizes (``Pss`` of /proc/PID/smaps_rollup, where pages shared by
    both processes, such as Polars' code, count once) summed, sampled every 20 ms in a
    thread. Linux only: elsewhere ``peak_mib`` stays ``None``."""

    def __init__(self) -> None:
        import threading

        self.peak_kib = 0
        self.supported = os.path.exists(f"/proc/{os.getpid()}/smaps_rollup")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> MemoryWatch:
        if self.supported:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.supported:
            self._thread.join()

    @property
    def peak_mib(self) -> int | None:
        return round(self.peak_kib / 1024) if self.supported else None

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_kib = max(self.peak_kib, sum(map(_pss_kib, _process_tree(os.getpid()))))


def _process_tree(pid: int) -> list[int]:
    pids, index = [pid], 0
    while index < len(pids):
        try:
            for task in os.listdir(f"/proc/{pids[index]}/task"):
                with open(f"/proc/{pids[index]}/task/{task}/children") as handle:
                    pids.extend(int(child) for child in handle.read().split())
        except OSError:
            pass  # the process ended meanwhile
        index += 1
    return pids


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def child(path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openitsms.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from openitsms.operations.actions import run_import
    from openitsms.tenancy.models import Organisation
    from openitsms.tenancy.scoping import org_scope

    org = Organisation.objects.create(name="Bench", slug=f"bench-{int(time.time())}")
    results = {"vendor": connection.vendor}
    with org_scope(org):
        for label in ("first", "again"):
            started, cpu = time.perf_counter(), time.process_time()
            with MemoryWatch() as watch:
                run = run_import(
                    organisation=org,
                    user=None,
                    file=path,
                    source="servicenow",
                    kind="incident",
                    tz="Europe/Amsterdam",
                )
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
            assert run.status == "succeeded", run.message
            results[label] = {
                "rows": run.rows_read,
                "records": run.created + run.updated + run.unchanged,
                "created": run.created,
                "unchanged": run.unchanged,
                "seconds": round(seconds, 2),
                "rows_per_s": round(run.rows_read / seconds),
                "cpu_s": round(cpu, 2),
                "rows_per_cpu_s": round(run.rows_read / cpu),
                "together_mib": watch.peak_mib,
            }
    results["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    # Files of 64 MiB and more are read by a child process of the import (see
    # openitsms.operations.ingest.process); its peak is reported beside the importer's.
    results["reader_mib"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    print(json.dumps(results))


def duckdb_child(path: str) -> None:
    import duckdb

    con = duckdb.connect()
    best = float("inf")
    count = 0
    for _ in range(3):
        started = time.perf_counter()
        count = con.execute("SELECT count(*) FROM read_csv(?)", [path]).fetchone()[0]
        best = min(best, time.perf_counter() - started)
    print(json.dumps({"rows": count, "seconds": round(best, 3), "version": duckdb.__version__}))


def duckdb_scan(path: Path) -> dict[str, object] | None:
    """DuckDB's plain scan of ``path`` (best of three), or ``None`` without duckdb."""
    if importlib.util.find_spec("duckdb") is None:
        return None
    out = subprocess.run(
        [sys.executable, __file__, "--duckdb", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def main(sizes: list[int]) -> None:
    generate = _generator().generate
    if importlib.util.find_spec("duckdb") is None:
        print(
            "duckdb is not installed: the DuckDB scan and the ratio to it are skipped "
            "(pip install -e '.[bench]' to have them)"
        )
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = Path(folder) / f"incidents-{size}.csv"
            rows, incidents = generate(path, size)
            scan = duckdb_scan(path)
            env = dict(os.environ, ITSMS_DATA_DIR=str(Path(folder) / f"data-{size}"))
            if "DATABASE_URL" in env:
                name = env["DATABASE_URL"].rsplit("/", 1)[1]
                base = env["DATABASE_URL"].rsplit("/", 1)[0]
                subprocess.run(
                    ["psql", f"{base}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"],
                    check=True,
                )
                subprocess.run(
                    ["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True
                )
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            first, again = result["first"], result["again"]
            print(
                f"{rows:>9} rows / {incidents:>8} incidents on {result['vendor']}: "
                f"first import {first['seconds']} s ({first['rows_per_s']:,} rows/s; "
                f"CPU {first['cpu_s']} s, {first['rows_per_cpu_s']:,} rows/s), "
                f"re-import {again['seconds']} s ({again['rows_per_s']:,} rows/s; "
                f"CPU {again['cpu_s']} s, {again['rows_per_cpu_s']:,} rows/s), "
                f"peak {result['peak_mib']} MiB"
                + (
                    f" (+ {result['reader_mib']} MiB in the reading process)"
                    if result["reader_mib"]
                    else ""
                )
                + (
                    f"; together at most {first['together_mib']} MiB (first), "
                    f"{again['together_mib']} MiB (re-import)"
                    if first["together_mib"] is not None
                    else ""
                )
            )
            if scan is not None:
                seconds = float(scan["seconds"])  # type: ignore[arg-type]
                print(
                    f"{'':>9} DuckDB {scan['version']} scan: {seconds} s "
                    f"({scan['rows']:,} rows); first import {first['seconds'] / seconds:.1f}× "
                    f"the scan, re-import {again['seconds'] / seconds:.1f}×"
                )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    elif sys.argv[1:2] == ["--duckdb"]:
        duckdb_child(sys.argv[2])
    else:
        main([int(a) for a in sys.argv[1:]] or [100_000])
