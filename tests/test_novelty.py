"""New, changed and unchanged claims since a previous briefing; reading the previous one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from summarizer.briefing.ledger import build_ledger
from summarizer.briefing.merge import merge_claims, number_sources
from summarizer.briefing.novelty import load_previous, mark_novelty
from summarizer.errors import InputError
from summarizer.models import (
    Article,
    Briefing,
    Certainty,
    Claim,
    MergedClaim,
    Polarity,
    PreviousClaim,
    Quantity,
    RunStats,
)
from summarizer.render.render_json import render_json
from tests.conftest import SCHEMAS
from tests.support.factories import article, claim, extraction, quantity

MONDAY = dt.datetime(2026, 5, 11, 18, 0, tzinfo=dt.UTC)
TUESDAY = dt.datetime(2026, 5, 12, 18, 0, tzinfo=dt.UTC)
COUNCIL = "Harwick council"
TRAFFIC_GROUP = "Harwick Traffic Group"


def _briefing(when: dt.datetime, *claims_of: tuple[Article, list[Claim]]) -> Briefing:
    sources = number_sources([source for source, _ in claims_of])
    claims = merge_claims([extraction(source, found) for source, found in claims_of], sources)
    return Briefing(
        generated_at=when,
        sources=sources,
        events=[],
        claims=claims,
        disagreements=build_ledger(claims, sources),
        stats=RunStats(
            model="m",
            endpoint="e",
            articles=len(sources),
            llm_calls=0,
            reasks=0,
            prompt_tokens=0,
            completion_tokens=0,
            wall_seconds=0.0,
        ),
    )


def _one_claim(
    when: dt.datetime,
    statement: str,
    *,
    claimant: str = "unattributed",
    certainty: Certainty = "certain",
    polarity: Polarity = "asserted",
    figure: Quantity | None = None,
) -> Briefing:
    source = article(statement, outlet="Harwick Gazette")
    found = claim(
        source,
        statement,
        claimant=claimant,
        certainty=certainty,
        polarity=polarity,
        figure=figure,
    )
    return _briefing(when, (source, [found]))


def _vehicles(text: str, value: float, *, qualifier: str = "about") -> Quantity:
    return quantity(text, value, "vehicles a day", qualifier=qualifier)


def _only(briefing: Briefing) -> MergedClaim:
    assert len(briefing.claims) == 1
    return briefing.claims[0]


def test_the_same_claim_in_other_words_is_unchanged() -> None:
    before = _one_claim(MONDAY, "Engineers found a crack in pier 3 of the Saltmere Bridge.")
    after = _one_claim(TUESDAY, "Engineers found a crack in pier 3 of the Saltmere bridge")

    marked = mark_novelty(after, before)

    assert (_only(marked).novelty, _only(marked).previously) == ("unchanged", None)
    assert marked.since_previous is not None
    assert marked.since_previous.model_dump() == {
        "previous_generated_at": MONDAY,
        "new": 0,
        "changed": 0,
        "unchanged": 1,
        "no_longer_reported": [],
    }


def test_a_different_figure_for_the_same_slot_is_changed_not_new() -> None:
    before = _one_claim(
        MONDAY,
        "The council says about 18,000 vehicles a day use the bridge.",
        claimant=COUNCIL,
        figure=_vehicles("about 18,000", 18000),
    )
    after = _one_claim(
        TUESDAY,
        "The council says around 20,000 vehicles a day use the bridge.",
        claimant=COUNCIL,
        figure=_vehicles("around 20,000", 20000),
    )

    marked = _only(mark_novelty(after, before))

    assert marked.novelty == "changed"
    assert marked.previously == PreviousClaim(
        id=_only(before).id,
        statement="The council says about 18,000 vehicles a day use the bridge.",
        quantity_text="about 18,000",
        certainty="certain",
        polarity="asserted",
    )


def test_another_claimants_figure_for_the_same_thing_is_new() -> None:
    before = _one_claim(
        MONDAY,
        "About 18,000 vehicles a day use the bridge.",
        claimant=COUNCIL,
        figure=_vehicles("about 18,000", 18000),
    )
    after = _one_claim(
        TUESDAY,
        "At least 25,000 vehicles a day use the bridge.",
        claimant=TRAFFIC_GROUP,
        figure=_vehicles("at least 25,000", 25000, qualifier="at_least"),
    )

    marked = mark_novelty(after, before)

    assert _only(marked).novelty == "new"
    assert marked.since_previous is not None
    assert marked.since_previous.no_longer_reported == [
        "About 18,000 vehicles a day use the bridge."
    ]


def test_a_figure_with_a_claimant_does_not_update_an_unattributed_one() -> None:
    before = _one_claim(
        MONDAY,
        "About 18,000 vehicles a day use the bridge.",
        figure=_vehicles("about 18,000", 18000),
    )
    after = _one_claim(
        TUESDAY,
        "About 19,000 vehicles a day use the bridge.",
        claimant=COUNCIL,
        figure=_vehicles("about 19,000", 19000),
    )

    assert _only(mark_novelty(after, before)).novelty == "new"


@pytest.mark.parametrize(
    ("certainty_before", "polarity_before"), [("probable", "asserted"), ("certain", "denied")]
)
def test_a_change_of_certainty_or_polarity_is_changed(
    certainty_before: Certainty, polarity_before: Polarity
) -> None:
    statement = "The bridge will reopen to cars in September."
    before = _one_claim(
        MONDAY, statement, claimant=COUNCIL, certainty=certainty_before, polarity=polarity_before
    )
    after = _one_claim(TUESDAY, statement, claimant=COUNCIL)

    marked = _only(mark_novelty(after, before))

    assert marked.novelty == "changed"
    assert marked.previously is not None
    assert (marked.previously.certainty, marked.previously.polarity) == (
        certainty_before,
        polarity_before,
    )


def test_a_qualifier_change_alone_is_changed() -> None:
    statement = "Repairs will cost 6 million pounds, the union says."
    union = "engineers' union"
    before = _one_claim(
        MONDAY, statement, claimant=union, figure=quantity("6 million pounds", 6e6, "repair cost")
    )
    after = _one_claim(
        TUESDAY,
        statement,
        claimant=union,
        figure=quantity("at least 6 million pounds", 6e6, "repair cost", qualifier="at_least"),
    )

    marked = _only(mark_novelty(after, before))

    assert marked.novelty == "changed"
    assert marked.previously is not None
    assert marked.previously.quantity_text == "6 million pounds"


def test_a_whole_briefing_counts_every_kind() -> None:
    gazette = article("Monday's report.", outlet="Harwick Gazette")
    before = _briefing(
        MONDAY,
        (
            gazette,
            [
                claim(gazette, "Engineers found a crack in pier 3 of the Saltmere Bridge."),
                claim(
                    gazette,
                    "The council says about 18,000 vehicles a day use the bridge.",
                    claimant=COUNCIL,
                    figure=_vehicles("about 18,000", 18000),
                ),
                claim(gazette, "A diversion through Millford adds 20 minutes to journeys."),
            ],
        ),
    )
    times = article("Tuesday's report.", outlet="Tidewater Times")
    post = article("Tuesday's other report.", outlet="Coastal Post")
    after = _briefing(
        TUESDAY,
        (
            times,
            [
                claim(times, "Engineers found a crack in pier 3 of the Saltmere bridge"),
                claim(times, "Divers inspected the damaged pier on Monday."),
                claim(
                    times,
                    "The council says about 20,000 vehicles a day use the bridge.",
                    claimant=COUNCIL,
                    figure=_vehicles("about 20,000", 20000),
                ),
            ],
        ),
        (
            post,
            [
                claim(
                    post,
                    "The Harwick Traffic Group says 25,000 vehicles a day use the bridge.",
                    claimant=TRAFFIC_GROUP,
                    figure=_vehicles("25,000", 25000, qualifier="exact"),
                ),
            ],
        ),
    )

    marked = mark_novelty(after, before)

    novelty = {c.statement: c.novelty for c in marked.claims}
    assert novelty == {
        "Engineers found a crack in pier 3 of the Saltmere bridge": "unchanged",
        "Divers inspected the damaged pier on Monday.": "new",
        "The council says about 20,000 vehicles a day use the bridge.": "changed",
        "The Harwick Traffic Group says 25,000 vehicles a day use the bridge.": "new",
    }
    assert marked.since_previous is not None
    since = marked.since_previous
    assert (since.new, since.changed, since.unchanged) == (2, 1, 1)
    assert since.no_longer_reported == ["A diversion through Millford adds 20 minutes to journeys."]
    # Everything else about the briefing is left as it was.
    assert [c.id for c in marked.claims] == [c.id for c in after.claims]
    assert marked.model_copy(update={"claims": after.claims, "since_previous": None}) == after


def test_a_briefing_compared_with_itself_is_all_unchanged() -> None:
    statement = "The council closed the bridge to all traffic."
    briefing = _one_claim(MONDAY, statement)

    marked = mark_novelty(briefing, briefing)

    assert _only(marked).novelty == "unchanged"
    assert marked.since_previous is not None
    assert marked.since_previous.no_longer_reported == []


def test_a_previous_briefing_round_trips_through_json(tmp_path: Path) -> None:
    statement = "The council closed the bridge to all traffic."
    marked = mark_novelty(_one_claim(TUESDAY, statement), _one_claim(MONDAY, statement))
    path = tmp_path / "prev.json"
    path.write_text(render_json(marked), encoding="utf-8")

    assert load_previous(path) == marked


def test_a_briefing_written_before_novelty_existed_still_loads(tmp_path: Path) -> None:
    data = json.loads(render_json(_one_claim(MONDAY, "The council closed the bridge.")))
    del data["since_previous"]
    for merged in data["claims"]:
        del merged["novelty"], merged["previously"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    assert load_previous(path).claims[0].novelty is None


def _load_error(path: Path) -> InputError:
    with pytest.raises(InputError) as raised:
        load_previous(path)
    assert "\n" not in raised.value.one_line()
    assert raised.value.hint is not None
    return raised.value


def test_a_missing_previous_briefing_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "prev.json"
    assert _load_error(path).message == f"{path}: no such file"


def test_a_previous_briefing_that_is_not_json_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "prev.md"
    path.write_text("# Briefing\n\n1 source", encoding="utf-8")
    assert _load_error(path).message == f"{path}: not JSON (Expecting value at line 1)"
    path.write_bytes(b"\xff\xfe{")
    assert _load_error(path).message == f"{path}: not JSON (not UTF-8 text)"


def test_json_that_is_not_a_briefing_is_one_line(tmp_path: Path) -> None:
    data = json.loads(render_json(_one_claim(MONDAY, "The council closed the bridge.")))
    del data["stats"]
    path = tmp_path / "prev.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert _load_error(path).message == f"{path}: not a summarizer briefing (stats: field required)"

    path.write_text("[1, 2]", encoding="utf-8")
    message = _load_error(path).message
    assert message.startswith(f"{path}: not a summarizer briefing (input should be ")


def test_a_folder_as_previous_briefing_is_one_line(tmp_path: Path) -> None:
    assert _load_error(tmp_path).message.startswith(f"{tmp_path}: cannot read (")


def test_a_marked_briefing_validates_against_the_published_schema() -> None:
    statement = "The council closed the bridge to all traffic."
    marked = mark_novelty(
        _one_claim(TUESDAY, statement, certainty="probable"), _one_claim(MONDAY, statement)
    )
    schema = json.loads((SCHEMAS / "briefing.schema.json").read_text(encoding="utf-8"))

    jsonschema.validate(json.loads(render_json(marked)), schema)
    assert _only(marked).novelty == "changed"
