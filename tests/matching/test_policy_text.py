"""A stored run keeps the policy file's own text (issue 16): `policy_text`."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.policy import default_policy, default_policy_text, load_policy, policy_text


def test_a_loaded_policy_gives_back_its_file_text_with_its_comments() -> None:
    text = default_policy_text().replace("needs = 30.0", "needs = 31.0")
    policy = load_policy(text)
    assert policy_text(policy) == text
    assert policy_text(default_policy()) == default_policy_text()


@settings(max_examples=25)
@given(
    st.floats(min_value=0, max_value=100, allow_nan=False),
    st.integers(min_value=0, max_value=17),
    st.lists(st.sampled_from(["autism", "sen", "complex_health"]), unique=True),
)
def test_a_policy_made_in_code_is_written_out_as_toml_that_loads_equal(
    weight: float, years: int, key_needs: list[str]
) -> None:
    base = default_policy()
    policy = base.model_copy(
        update={
            "weights": base.weights.model_copy(update={"needs": weight + 1}),
            "ffa_duty": base.ffa_duty.model_copy(update={"max_age_years": years}),
            "profiles": base.profiles.model_copy(update={"key_needs": tuple(key_needs)}),
        }
    )
    text = policy_text(policy)
    assert text != default_policy_text()
    assert load_policy(text) == policy
