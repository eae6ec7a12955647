"""Rounds people can read (issue #15 item 4): each unit left unplaced has one sentence a
family finder can act on, with the ids behind a disclosure; results are paged and sorted."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from matching.domain import Child
from matching.results import TakenHousehold, UnplacedUnit
from matching.round_sentences import carer_profile, unplaced_sentence
from models.orm import HouseholdRow
from models.round_job_store import add_round_job
from models.store import bump_data_version
from tests.api.conftest import ApiEnv, finish_rounds
from tests.api.test_pages_access import csrf_of, sign_in
from tests.sentences import page_words, problems


def unit(reason: str, **fields: object) -> UnplacedUnit:
    return UnplacedUnit(children=("X1", "X2"), reason=reason, reasons=("ids",), **fields)  # type: ignore[arg-type]


def test_each_reason_is_one_sentence_naming_the_children() -> None:
    names = {"X1": "Ava", "X2": "Ben"}
    room = unplaced_sentence(
        unit("no_feasible_household", households_passing_hard_rules=0, households_needing_room=3),
        names,
    )
    assert room == "No household with room can take Ava and Ben: 3 would if they had a vacancy."
    rules = unplaced_sentence(
        unit(
            "no_feasible_household",
            households_passing_hard_rules=0,
            households_needing_room=0,
            excluded_counts={"plan_kind": 900, "age_range": 812, "capacity": 90, "status": 3},
        ),
        names,
    )
    # the kinds of household that never serve the plan are not news to a family finder
    assert rules == (
        "No household that serves the plan can take Ava and Ben: most are left out as "
        "outside the approved age range (812) and not enough room (vacancies, places or "
        "sibling group size) (90)."
    )
    taken = unplaced_sentence(
        unit(
            "taken_by_others",
            feasible_households=tuple(
                TakenHousehold(household_id=f"H{i}", taken_by=(("C9",),)) for i in range(12)
            ),
        ),
        names,
    )
    assert taken.startswith("The 12 households that could take Ava and Ben went to other")
    only = unplaced_sentence(
        unit(
            "taken_by_others",
            feasible_households=(TakenHousehold(household_id="H1", taken_by=(("C9",),)),),
        ),
        {},
    )
    assert only.startswith("The only household that could take X1 and X2")
    for sentence in (room, rules, taken, only):
        assert not problems(sentence), sentence


def _child(child_id: str, born: date, plan: str, needs: dict[str, int]) -> Child:
    return Child(
        child_id=child_id,
        date_of_birth=born,
        sex="female",
        ethnicity="WBRI",
        plan=plan,
        status="waiting",
        needs=needs,
    )


def test_the_sentences_name_the_carers_a_unit_needs() -> None:
    on = date(2026, 6, 1)
    teenager = [_child("X1", date(2012, 1, 1), "long_term_foster", {"autism": 2, "sen": 1})]
    carers = carer_profile(teenager, on)
    assert carers.approved_for == "approved for a teenager with autism"
    room = unplaced_sentence(
        unit("no_feasible_household", households_passing_hard_rules=0, households_needing_room=3),
        {"X1": "Ava", "X2": "Ben"},
        carers,
    )
    assert room == (
        "No long-term foster carer approved for a teenager with autism has room for Ava and "
        "Ben: 3 would if they had a vacancy."
    )
    group = [
        _child("X1", date(2019, 1, 1), "adoption", {"complex_health": 2, "self_harm": 2}),
        _child("X2", date(2022, 1, 1), "adoption", {"attachment_trauma": 2}),
    ]
    siblings = carer_profile(group, on)
    assert siblings.approved_for == (
        "approved for a sibling group of 2 (children aged 4 to 7) with attachment "
        "difficulties and trauma, complex health needs and 1 more need"
    )
    taken = unplaced_sentence(
        unit(
            "taken_by_others",
            feasible_households=tuple(
                TakenHousehold(household_id=f"H{i}", taken_by=(("C9",),)) for i in range(12)
            ),
        ),
        {"X1": "Ava", "X2": "Ben"},
        siblings,
    )
    assert taken.startswith("The 12 adopters who could take Ava and Ben went to other children")
    rules = unplaced_sentence(
        unit(
            "no_feasible_household",
            households_passing_hard_rules=0,
            households_needing_room=0,
            excluded_counts={"plan_kind": 900, "age_range": 812},
        ),
        {},
        siblings,
    )
    assert rules.startswith("No adopter approved for a sibling group of 2")
    assert rules.endswith("most adopters are left out as outside the approved age range (812).")
    none = unplaced_sentence(
        unit(
            "no_feasible_household",
            households_passing_hard_rules=0,
            households_needing_room=0,
            excluded_counts={"plan_kind": 900},
        ),
        {},
        carer_profile([_child("X1", date(2025, 9, 1), "ffa", {})], on),
    )
    assert none == (
        "The pool has no fostering-for-adoption carers who could take X1 and X2: recruit "
        "fostering-for-adoption carers approved for a baby."
    )
    for sentence in (room, taken, rules, none):
        assert not problems(sentence), sentence


def test_a_round_says_a_vacancy_would_place_the_child(api_env: ApiEnv) -> None:
    # The Okafors are the only household for Dee; with no vacancy, no one can take her.
    with api_env.session() as session:
        session.execute(
            update(HouseholdRow).where(HouseholdRow.household_id == "H002").values(vacancies=0)
        )
        bump_data_version(session)
        session.commit()
    finder = sign_in(api_env, "family_finder")
    started = finder.post(
        "/rounds",
        data={
            "csrf_token": csrf_of(finder.get("/rounds").text),
            "mode": "allocate",
            "per_unit": "3",
            "max_appearances": "3",
            "time_limit_s": "2",
        },
    )
    finish_rounds(api_env.app)
    page = finder.get(started.headers["location"]).text
    words = page_words(page)
    # Dee is 13 or more on the round's date, with two complex needs: the carers named
    assert (
        "No long-term foster carer approved for a teenager with attachment difficulties and "
        "trauma and harmful sexual behaviour has room for Dee: 1 would if it had a vacancy."
    ) in words
    assert "The records behind it" in words  # the ids, behind a disclosure
    assert not problems(words, names=("family_finder",))

    # Sorted by child id, by best score, or (the default) waiting longest first.
    def order(query: str) -> list[str]:
        shown = finder.get(started.headers["location"] + query).text
        table = shown.split('id="round-results"')[1].split("</table>")[0]
        return re.findall(r'data-unit="([^"]+)"', table)

    by_id = order("?sort=children")
    assert by_id == sorted(by_id) and len(by_id) >= 2
    assert sorted(order("")) == sorted(by_id) == sorted(order("?sort=score"))


def test_a_running_round_shows_progress_that_moves(api_env: ApiEnv) -> None:
    with api_env.session() as session:
        job = add_round_job(
            session,
            requested_by="family_finder",
            params={"mode": "allocate", "time_limit_s": 30.0, "per_unit": 3, "max_appearances": 3},
        )
        job.status, job.stage = "running", "solving"
        job.created_at = datetime.now(UTC) - timedelta(seconds=12)
        session.commit()
        job_id = job.id
    page = sign_in(api_env, "family_finder").get(f"/rounds/{job_id}")
    assert page.status_code == 200, page.text
    words = page_words(page.text)
    # 12 s when the page was asked for, more if this machine is slow to answer
    running = re.search(r"Solving: running for (\d+) seconds of a 30-second limit\.", words)
    assert running and 12 <= int(running.group(1)) <= 30, words
    value = re.search(r'<progress[^>]*value="(\d+)"', page.text)
    assert value and 30 <= int(value.group(1)) <= 90  # 12 s of 35 or more: it moves with time
    assert "data-poll-seconds" in page.text
