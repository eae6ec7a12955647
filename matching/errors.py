"""The errors familyfinder raises, in one place.

    FamilyFinderError            base of everything below
    ├── ValidationError          bad input; carries a list of Problem (file, line, column, reason)
    ├── PolicyError              a policy file that does not validate (names the key)
    ├── NotFoundError            an id that does not exist
    ├── NotFamilyFoundError      a shortlist asked for a plan that is not family-found
    ├── ConflictError            a change that would break an invariant (double booking)
    └── ReplayUnavailable        a stored run whose inputs are not kept (stored before
        │                        replay existed, or deleted under the retention setting)
        └── InputsAltered        kept inputs that no longer hash to their fingerprint

    Cancelled                    not an error: work stopped because a person asked

An infeasible round or an empty shortlist is a result, never an exception.
`api/errors.py` maps these to HTTP status codes and CLI exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    file: str
    line: int  # 1-based physical line in the file; 0 when the problem is the whole file
    column: str  # column name, or "" when the problem is not one cell
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column or '-'}: {self.reason}"


class FamilyFinderError(Exception):
    """Base of every error familyfinder raises on purpose."""


class ValidationError(FamilyFinderError):
    """Input that breaks the interchange format or a domain rule."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = str(problems[0]) if problems else "invalid input"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)


class PolicyError(FamilyFinderError):
    """A scoring policy that does not validate; the message names the key."""


class NotFoundError(FamilyFinderError):
    """An id (child, household, round, proposal) that does not exist."""


class NotFamilyFoundError(FamilyFinderError):
    """A shortlist was asked for a child whose plan is not family-found."""


class ReasonRequired(FamilyFinderError):
    """A step that needs a reason in words and was given none: a panel recommendation or
    an agency decision that goes against the system's ranking (`field` names it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ConflictError(FamilyFinderError):
    """A change that would break an invariant, such as over-filling a household."""


class ReplayUnavailable(FamilyFinderError):
    """A stored run cannot be replayed: its inputs were never kept (it was stored before
    replay existed) or were deleted under the retention setting."""


class InputsAltered(ReplayUnavailable):
    """Kept inputs that do not hash to their key: altered after the run."""


class Cancelled(Exception):
    """Work stopped because a person asked for it (a round cancelled). Not a
    FamilyFinderError: nothing was wrong with the input."""


@dataclass(frozen=True, order=True)
class Notice:
    """Something a person should know about an input that is not an error: a warning
    (a practice contradiction imported as it stands) or a note (how a value was read)."""

    file: str
    line: int  # 0 when it concerns the whole file or no line of it
    kind: str  # "warning" or "note"
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file else ""
        return f"{where}{self.kind}: {self.message}"
