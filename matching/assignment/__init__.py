"""The assignment kernel: what matching rounds and the gap report both solve.

An *assignment* gives each unit (a child, or siblings placed together) at most one
household that passes the hard rules, within the households' vacancies, never putting
two units of a never-together pair in one household; it places the most children, then
the largest weight. A round's weights are priority × score; the gap report's are 0, so
its answer is the most children any allocation can place. Both call this kernel:

* `prepared`: `prepare(instance)`, the one place scores are clamped to 0..100 and
  scaled to integers, and the never-together pairs with their reason codes;
* `plan`: the constraint families every plan obeys (`CONSTRAINT_FAMILIES`), the check
  every plan passes (`plan_problems`), the partners index, connected components, the
  value of a plan, the feasible part of a caller's plan;
* `flow`: every network flow, on OR-Tools (min-cost flow for shortlists and the
  relaxation, max-flow over classes of interchangeable units and households);
* `greedy`: priority-order and best-fit placements (the fallbacks);
* `cpsat`: `ComponentModel`, the one CP-SAT model, one constraint family per method;
* `search`: `assign(prep, budget)`, bounds, fallback and CP-SAT per component under one
  deterministic budget and worker policy (explained there).

Where the next rules go (issue 12), each in one place here:

* unit pairs that must never share a household for another reason (a child who must
  not live with younger children, co-placement risks): more pairs merged in `prepare`
  with their own reason code (`never_together_reason`); the model, the greedy, the plan
  check and the unplaced reasons already read `never_together`;
* a per-household limit on the number of units (adopters, FfA carers): one more
  constraint family (`CONSTRAINT_FAMILIES`, a `ComponentModel` method, a clause of
  `plan_problems`, a check in `tests/matching/round_checker.py`; a test fails until all
  four exist) and a per-household array on `PreparedInstance` read by the greedy;
* a tier above the objective (kinship first): one more leading level of the plan value
  (`plan.total_value`) and of `ComponentModel.add_objective`'s lexicographic weights,
  with its coefficient per pair computed in `prepare`.
"""
