"""The transparency record (issue 16, item 3) is made from the policy in force and the
code's own rule table, so it cannot drift from them."""

from __future__ import annotations

import numpy as np
import pytest

from matching import rules
from matching.labels import label
from matching.policy import default_policy, default_policy_text, load_policy, policy_toml
from matching.rule_sources import RULE_SOURCES
from matching.transparency import (
    ROUND_CONSTRAINTS,
    FairnessSummary,
    Owner,
    Record,
    build_record,
    policy_comments,
    to_html,
    to_markdown,
)


def _record(text: str | None = None, **overrides: object) -> Record:
    text = default_policy_text() if text is None else text
    options: dict[str, object] = {
        "owner": Owner(organisation="Anytown Council"),
        "release": "0.1.0",
        "retention_days": 2557,
        **overrides,
    }
    return build_record(load_policy(text), text, **options)  # type: ignore[arg-type]


def test_every_hard_rule_in_the_code_appears_with_its_source() -> None:
    text = to_markdown(_record())
    for name in (*rules.HARD_RULES, *ROUND_CONSTRAINTS):
        assert name in RULE_SOURCES, f"hard rule {name} has no source in matching/rule_sources.py"
        source = RULE_SOURCES[name]
        assert source.source and source.kind in ("statute", "regulations", "guidance", "practice")
        assert f"| {label('rule', name)} |" in text
        assert source.source in text


def test_a_rule_added_to_the_code_appears_in_the_record(monkeypatch: pytest.MonkeyPatch) -> None:
    def lone_carer(unit: rules.UnitFeatures, pool: rules.HouseholdPool) -> rules.BoolArray:
        """The household has one carer and the unit more than three children."""
        return np.zeros(pool.size, dtype=bool)

    monkeypatch.setitem(rules.HARD_RULES, "lone_carer", lone_carer)
    text = to_markdown(_record())
    assert (
        "| Lone carer | The household has one carer and the unit more than three children. |"
        in text
    )
    assert "Source not recorded" in text  # and the test above fails until it has one


def test_a_changed_weight_changes_the_record() -> None:
    before = to_markdown(_record())
    assert "| Needs met | 30 | 27% | needs met by skills and a stated tolerance |" in before
    text = (
        default_policy_text()
        .replace("needs = 30.0 ", "needs = 50.0 ")
        .replace('version = "2026.2"', 'version = "2026.3"')
    )
    after = to_markdown(_record(text))
    assert "| Needs met | 50 | 38% | needs met by skills and a stated tolerance |" in after
    assert "scoring policy 2026.3" in after and "scoring policy 2026.2" not in after


def test_a_changed_setting_and_its_source_comment_show() -> None:
    text = default_policy_text().replace(
        "first_threshold_days = 121", "# A2 scorecard threshold (DfE)\nfirst_threshold_days = 100"
    )
    after = to_markdown(_record(text))
    assert "| Priority: first threshold days | 100 | A2 scorecard threshold (DfE) |" in after
    # the FfA duty's source, from the comment above its weight
    assert "Children Act 1989 s.22C(9A)-(9B)" in after


def test_a_policy_without_comments_still_gives_every_weight() -> None:
    policy = default_policy().model_copy(update={"min_round_score": 5.0})
    text = to_markdown(
        build_record(policy, policy_toml(policy), owner=Owner(), release="x", retention_days=30)
    )
    assert "| Min round score | 5 | - |" in text
    for name in policy.weights.model_dump():
        assert f"| {label('criterion', name)} |" in text
    assert "Not recorded (set FAMILYFINDER_TRANSPARENCY_ORGANISATION)" in text


def test_fairness_figures_or_not_yet_computed() -> None:
    assert "Not yet computed" in to_markdown(_record())
    summary = FairnessSummary.from_report_json(
        {
            "as_of": "2026-11-01",
            "policy_version": "2026.1",
            "threshold": 0.8,
            "groups": [{"dimension": "ethnicity", "group": "Black"}] * 14,
            "flags": [
                {
                    "dimension": "disability",
                    "group": "any disability need",
                    "metric": "feasible_households",
                    "ratio": 0.41,
                    "interval": [0.3, 0.55],
                    "drivers": ["will_not_consider", "needs"],
                }
            ],
        }
    )
    text = to_markdown(_record(fairness=summary))
    assert "Not yet computed" not in text
    assert "14 groups compared with the other children; 1 flagged" in text
    assert (
        "| Disability: any disability need | Feasible households | 0.41 | 0.30 to 0.55 "
        "| will not consider; needs |" in text
    )


def test_the_html_record_is_escaped_and_has_every_section() -> None:
    record = _record(owner=Owner(organisation="Smith & <Jones>"))
    page = to_html(record)
    assert "Smith &amp; &lt;Jones&gt;" in page and "<Jones>" not in page
    for section in (*record.tier1, *record.tier2):
        assert f'id="{section.key}"' in page


def test_policy_comments_belong_to_what_they_sit_above() -> None:
    comments = policy_comments(
        '# file header\n\nversion = "x"  # the version\n# about weights\n[weights]\n'
        '# above needs\nneeds = 1.0 # inline\nage_fit = 2.0\nname = "a # b"\n'
    )
    assert comments == {
        "version": ("the version",),
        "weights": ("about weights",),
        "weights.needs": ("above needs", "inline"),
    }
