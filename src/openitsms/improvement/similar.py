"""Similar nonconformities: shared words plus the same clause or process, simple and explainable.

10.1 asks whether similar nonconformities exist or could occur. When one is raised, the register
is searched for earlier ones that share significant words (after dropping common words and
plural/verb endings) or concern the same clause or process. The comparison runs in Python on
a bounded number of candidates, so it behaves the same on SQLite and PostgreSQL, and every
match says why it matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Common English words and words every nonconformity uses; they say nothing about similarity.
_STOPWORDS_TEXT = """
    a about above after again against all also an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their them then there these they this those through to
    too under until up very was we were what when where which while who whom why will with
    would you your yes within without per via
    nonconformity nonconformities found finding record records recorded evidence shall must
    requirement requirements clause process processes sms iso iec
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
MAX_CANDIDATES = 2000
CLAUSE_WEIGHT = 0.25
PROCESS_WEIGHT = 0.2


def _stem(word: str) -> str:
    """A light stem, so that change, changes, changed and changing meet as "chang"."""
    for suffix in ("ing", "ies", "ed", "s"):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    if word.endswith("e") and len(word) >= 5:
        word = word[:-1]
    return word


def tokens(text: str) -> set[str]:
    """Significant words of ``text``: lower case, no stop words, endings removed."""
    words = re.findall(r"[a-z0-9]+", (text or "").lower())
    return {_stem(w) for w in words if len(w) >= 3 and w not in STOPWORDS}


@dataclass
class Match:
    nonconformity: Any
    score: float
    shared: list[str] = field(default_factory=list)
    same_clause: bool = False
    same_process: bool = False

    @property
    def reasons(self) -> list[str]:
        found = []
        if self.shared:
            found.append("shares the words " + ", ".join(self.shared))
        if self.same_clause:
            found.append("same clause")
        if self.same_process:
            found.append("same process")
        return found


def rank(
    *,
    title: str,
    description: str,
    clause_id: int | None,
    process_id: int | None,
    candidates: Iterable[Any],
    exclude_pk: int | None = None,
    limit: int = 5,
) -> list[Match]:
    """Score ``candidates`` against the text and links; best first, at most ``limit``.

    Score = share of words in common (Jaccard) + 0.25 for the same clause + 0.2 for the same
    process. A candidate is kept when it shares two or more words, or the same clause or
    process and at least one word.
    """
    mine = tokens(f"{title} {description}")
    matches: list[Match] = []
    for nc in candidates:
        if exclude_pk is not None and nc.pk == exclude_pk:
            continue
        theirs = tokens(f"{nc.title} {nc.description}")
        shared = mine & theirs
        same_clause = clause_id is not None and nc.clause_id == clause_id
        same_process = process_id is not None and nc.process_id == process_id
        linked = same_clause or same_process
        if len(shared) < 2 and not (linked and shared):
            continue
        union = mine | theirs
        score = len(shared) / len(union) if union else 0.0
        score += CLAUSE_WEIGHT if same_clause else 0.0
        score += PROCESS_WEIGHT if same_process else 0.0
        matches.append(
            Match(
                nonconformity=nc,
                score=round(score, 3),
                shared=sorted(shared),
                same_clause=same_clause,
                same_process=same_process,
            )
        )
    matches.sort(key=lambda m: (-m.score, -m.nonconformity.number))
    return matches[:limit]


def similar_nonconformities(
    *,
    title: str,
    description: str = "",
    clause_id: int | None = None,
    process_id: int | None = None,
    exclude_pk: int | None = None,
    limit: int = 5,
) -> list[Match]:
    """Earlier nonconformities of the current organisation like the one described."""
    from openitsms.improvement.models import Nonconformity

    if not tokens(f"{title} {description}"):
        return []
    candidates = (
        Nonconformity.objects.select_related("clause", "process")
        .only(
            "pk",
            "number",
            "title",
            "description",
            "status",
            "severity",
            "raised_on",
            "clause_id",
            "process_id",
            "organisation_id",
            "clause__number",
            "clause__title",
            "process__name",
        )
        .order_by("-number")[:MAX_CANDIDATES]
    )
    return rank(
        title=title,
        description=description,
        clause_id=clause_id,
        process_id=process_id,
        candidates=candidates,
        exclude_pk=exclude_pk,
        limit=limit,
    )
