"""What is new or changed since the previous briefing.

Each merged claim of a briefing is matched against the claims of a previous one, the way
merging matches duplicates across articles (`merge.py`): comparable text, the same
similarity threshold, connected groups found by `near_duplicates.similar_groups`. So the
same claim extracted again in slightly different words still matches. Matching runs twice:

1. Claims of equal polarity and figure whose wording is close are the same claim. It is
   `unchanged`, or `changed` if its certainty or its figure's qualifier differs.
2. A claim left over then is matched, one to one and closest first, to a leftover previous
   claim whose wording is close once figures are taken out ("about 18,000 vehicles" reads
   as "# vehicles") and that names the same claimant (or neither names one): the same slot
   with another figure, or the same statement with the other polarity. It is `changed`,
   and keeps what it was. Requiring the claimant keeps another source's figure for the
   same thing from passing as an update.

Every other claim is `new`; previous claims nothing matched are no longer reported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from summarizer.briefing.merge import (
    CLAIM_OVERLAP,
    CLAIM_SIMILARITY,
    comparable_text,
    figure_key,
    same_claimant,
)
from summarizer.errors import InputError
from summarizer.models import (
    Briefing,
    MergedClaim,
    Novelty,
    PreviousClaim,
    SincePrevious,
)
from summarizer.text.near_duplicates import similar_groups, similarity
from summarizer.text.sentences import NUMBER_WORDS

_HINT = "give the JSON file an earlier `summarizer brief --format json` wrote"
# Words that say how exact a figure is; a changed figure often changes them too.
_FIGURE_QUALIFIERS = frozenset(
    "about around nearly almost approximately roughly some least most more less fewer than "
    "over under up many much estimated".split()
)
_FIGURE = "#"


def load_previous(path: Path) -> Briefing:
    """Read a briefing an earlier run wrote as JSON, to compare a new one with.

    Args:
        path: the JSON briefing (`summarizer brief ... --format json`).

    Raises:
        InputError: the file is missing or unreadable, is not JSON, or is not a briefing.
    """
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", hint=_HINT) from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not JSON (not UTF-8 text)", hint=_HINT) from None
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})", hint=_HINT) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}: not JSON ({error.msg} at line {error.lineno})", hint=_HINT
        ) from None
    try:
        return Briefing.model_validate(data)
    except ValidationError as error:
        raise InputError(
            f"{path}: not a summarizer briefing ({_first_problem(error)})", hint=_HINT
        ) from None


def mark_novelty(briefing: Briefing, previous: Briefing) -> Briefing:
    """Mark each claim new, changed or unchanged since `previous`, and count them.

    Example:
        >>> previous = load_previous(Path("yesterday.json"))  # doctest: +SKIP
        >>> marked = mark_novelty(brief(paths), previous)  # doctest: +SKIP
        >>> marked.since_previous.new  # doctest: +SKIP

    Args:
        briefing: the new briefing.
        previous: an earlier briefing, e.g. from `load_previous`.

    Returns:
        A copy of `briefing` whose claims carry `novelty` (and `previously` when changed)
        and whose `since_previous` counts them and lists the statements of previous claims
        that no claim matches any more.
    """
    current, before = briefing.claims, previous.claims
    same = _same_claims(current, before)
    changed = _changed_claims(current, before, set(same), set(same.values()))
    marked: list[MergedClaim] = []
    for index, claim in enumerate(current):
        match = same.get(index, changed.get(index))
        earlier = before[match] if match is not None else None
        novelty: Novelty = "new"
        previously: PreviousClaim | None = None
        if earlier is not None and index in same and _reading(claim) == _reading(earlier):
            novelty = "unchanged"
        elif earlier is not None:
            novelty, previously = "changed", _previously(earlier)
        marked.append(claim.model_copy(update={"novelty": novelty, "previously": previously}))
    matched = {*same.values(), *changed.values()}
    counts = {kind: sum(1 for c in marked if c.novelty == kind) for kind in ("new", "changed")}
    since = SincePrevious(
        previous_generated_at=previous.generated_at,
        new=counts["new"],
        changed=counts["changed"],
        unchanged=len(marked) - counts["new"] - counts["changed"],
        no_longer_reported=[c.statement for i, c in enumerate(before) if i not in matched],
    )
    return briefing.model_copy(update={"claims": marked, "since_previous": since})


def _same_claims(current: Sequence[MergedClaim], before: Sequence[MergedClaim]) -> dict[int, int]:
    """Each current claim that merging would join with a previous one -> that claim."""
    claims = [*current, *before]
    texts = [comparable_text(c.statement) for c in claims]
    groups = similar_groups(
        texts,
        [(c.polarity, figure_key(c.quantity)) for c in claims],
        CLAIM_SIMILARITY,
        overlap=CLAIM_OVERLAP,
    )
    matches: dict[int, int] = {}
    for members in groups:
        earlier = [i for i in members if i >= len(current)]
        if not earlier:
            continue
        for index in (i for i in members if i < len(current)):
            # A group is connected, not complete: take the closest, preferring one that
            # reads the same, so a group with both readings says "unchanged".
            best = max(
                earlier,
                key=lambda i: (
                    _reading(claims[i]) == _reading(claims[index]),
                    similarity(texts[index], texts[i]),
                    -i,
                ),
            )
            matches[index] = best - len(current)
    return matches


def _changed_claims(
    current: Sequence[MergedClaim],
    before: Sequence[MergedClaim],
    matched_current: set[int],
    matched_before: set[int],
) -> dict[int, int]:
    """Leftover current claims -> the leftover previous claim they update, one to one."""
    left_current = [i for i in range(len(current)) if i not in matched_current]
    left_before = [j for j in range(len(before)) if j not in matched_before]
    claims = [*(current[i] for i in left_current), *(before[j] for j in left_before)]
    texts = [_without_figures(c.statement) for c in claims]
    groups = similar_groups(texts, [None] * len(claims), CLAIM_SIMILARITY, overlap=CLAIM_OVERLAP)
    boundary = len(left_current)
    pairs: list[tuple[float, int, int]] = []
    for members in groups:
        earlier = [j for j in members if j >= boundary]
        for i in (i for i in members if i < boundary):
            for j in earlier:
                score = similarity(texts[i], texts[j])
                if score >= CLAIM_SIMILARITY and _same_claimants(claims[i], claims[j]):
                    pairs.append((-score, i, j))
    matches: dict[int, int] = {}
    taken: set[int] = set()
    for _, i, j in sorted(pairs):
        if i not in matches and j not in taken:
            matches[left_current[i]] = left_before[j - boundary]
            taken.add(j)
    return matches


def _without_figures(statement: str) -> str:
    """Comparable text with each figure (and its qualifier words) as one placeholder."""
    words: list[str] = []
    for word in comparable_text(statement).split():
        if word in _FIGURE_QUALIFIERS:
            continue
        if word[0].isdigit() or word in NUMBER_WORDS:
            word = _FIGURE
        if word != _FIGURE or not words or words[-1] != _FIGURE:
            words.append(word)
    return " ".join(words)


def _same_claimants(first: MergedClaim, second: MergedClaim) -> bool:
    """Whether both name a claimant in common, or neither names one."""
    named_first, named_second = first.corroboration.claimants, second.corroboration.claimants
    if not named_first or not named_second:
        return not named_first and not named_second
    return any(same_claimant(a, b) for a in named_first for b in named_second)


def _reading(claim: MergedClaim) -> tuple[object, ...]:
    """What must stay equal for a matching claim to be unchanged."""
    quantity = claim.quantity
    qualifier = quantity.qualifier if quantity else None
    return (claim.polarity, claim.certainty, figure_key(quantity), qualifier)


def _previously(claim: MergedClaim) -> PreviousClaim:
    return PreviousClaim(
        id=claim.id,
        statement=claim.statement,
        quantity_text=claim.quantity.text if claim.quantity else None,
        certainty=claim.certainty,
        polarity=claim.polarity,
    )


def _first_problem(error: ValidationError) -> str:
    problems = error.errors()
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"][:1].lower() + first["msg"][1:]
    text = f"{where}: {message}" if where else message
    more = len(problems) - 1
    return f"{text}; {more} more problem(s)" if more else text
