"""Helpers for the ingest library's tests: writing small exports and finding the shared sample.

The shared sample is the "Incident management process enriched event log" by Amaral,
Fantinato and Peres (2018), UCI Machine Learning Repository, DOI 10.24432/C57S4H,
licensed CC BY 4.0. It lives beside the project (../shared/data, or $ITSMS_SHARED_DATA);
tests that need it skip when it is absent.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from openitsms.operations.ingest import Item, NormalisedRecord, Rejection

SAMPLE_NAME = "servicenow_incident_eventlog_sample.csv"

WriteFile = Callable[..., Path]


def shared_data_folder() -> Path:
    configured = os.environ.get("ITSMS_SHARED_DATA")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "../shared/data"


@pytest.fixture
def servicenow_sample() -> Path:
    """The shared ServiceNow audit-log sample (CC BY 4.0, see the module docstring)."""
    path = shared_data_folder() / SAMPLE_NAME
    if not path.is_file():
        pytest.skip(f"the shared ServiceNow sample is not at {path} (set ITSMS_SHARED_DATA)")
    return path


@pytest.fixture
def write_file(tmp_path: Path) -> WriteFile:
    """Write ``text`` to a file in ``tmp_path`` in ``encoding`` and return its path.

    Lines are joined as written (``newline=""``), so a test controls line endings.
    """

    def write(text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        with path.open("w", encoding=encoding, newline="") as handle:
            handle.write(text)
        return path

    return write


def split(items: list[Item]) -> tuple[list[NormalisedRecord], list[Rejection]]:
    """Records and rejections of a stream's items, each in the order they came."""
    records = [item for item in items if isinstance(item, NormalisedRecord)]
    rejections = [item for item in items if isinstance(item, Rejection)]
    return records, rejections


@pytest.fixture
def split_items() -> Callable[[list[Item]], tuple[list[NormalisedRecord], list[Rejection]]]:
    return split
