"""Verifies the whole audit chain: every link, every hash, and the recorded head."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openitsms.audit.models import GENESIS_HASH, AuditEvent, AuditHead


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str

    def __str__(self) -> str:
        return f"entry #{self.seq}: {self.message}"


def verify_chain(
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, list[ChainProblem]]:
    """Return (entries checked, problems). An empty problem list means the chain is intact."""
    problems: list[ChainProblem] = []
    total = AuditEvent.objects.count()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            problems.append(
                ChainProblem(
                    event.seq,
                    f"expected entry #{expected_seq} here: entries were removed or inserted",
                )
            )
        if event.prev_hash != expected_prev:
            problems.append(
                ChainProblem(
                    event.seq,
                    "does not link to the entry before it: an entry was removed or inserted",
                )
            )
        if event.compute_hash() != event.hash:
            problems.append(ChainProblem(event.seq, "its content was altered after it was written"))
        expected_prev = event.hash
        expected_seq = event.seq + 1
        checked += 1
        if progress and checked % 1000 == 0:
            progress(checked, total)
    head = AuditHead.objects.filter(pk=1).first()
    last_seq = expected_seq - 1
    if head is None and checked:
        problems.append(
            ChainProblem(last_seq, "the record of the chain's last entry (its head) is missing")
        )
    if head is not None and head.seq and (head.seq != last_seq or head.hash != expected_prev):
        problems.append(
            ChainProblem(
                head.seq,
                f"the chain should end at entry #{head.seq} but ends at #{last_seq}: "
                "entries at the end were removed or the head was altered",
            )
        )
    if progress:
        progress(checked, total)
    return checked, problems
