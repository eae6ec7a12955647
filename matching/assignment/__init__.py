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

Where the rules of issue 12 go, each in one place here:

* unit pairs that must never share a household for another reason than siblings
  assessed apart: co-placement (`matching.coplacement`: a child who must not live with
  younger children, the policy's risk rules) is merged in `prepare` with its own reason
  code (`never_together_reason`: `co_placement`); the model, the greedy, the plan check
  and the unplaced reasons read `never_together`;
* a per-household limit on the number of units (adopters, FfA carers: one): the
  `unit_limit` family (`CONSTRAINT_FAMILIES`, `ComponentModel.add_unit_limit`,
  `plan_problems`, the round checker), from `RoundHousehold.max_units`;
* a tier above the objective (kinship first): one more leading level of the plan value
  (`plan.total_value`) and of `ComponentModel.add_objective`'s lexicographic weights,
  with its coefficient per pair computed in `prepare`.
"""
