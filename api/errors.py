"""The one mapping from familyfinder's errors to CLI exit codes and HTTP statuses.

    error (matching.errors)   exit code   HTTP status
    ValidationError           1           422  each problem printed as FILE:LINE: COLUMN: reason
    NotFoundError             2           404
    NotFamilyFoundError       3           422
    ReasonRequired            1           422  a departure from the ranking without its reason
    ConflictError             4           409
    PolicyError               5           500  the server's policy file is broken
    ReplayUnavailable         10          410  a run whose inputs are not kept (or altered)
    FamilyFinderError (other) 1           400
    database unusable         6           (503, left to the web app): unreachable, a URL
                                          that is not one, an unknown kind or driver
    bad FAMILYFINDER_* value  2           (the app refuses to start)
    cannot listen             7           `serve`: the port is in use, or the address
                                          cannot be listened on
    Cancelled                 8           a round cancelled while the command ran it
                                          (from the API or the rounds page)
    replay differs            9           `familyfinder replay`: the run, computed again
                                          from its kept inputs, differs from what was
                                          stored (0: identical)

Exit code 2 is also what Click uses for a usage error (a bad option); both mean "the
thing you asked for is not there as asked". Anything not a FamilyFinderError is a bug
and is left to propagate with its traceback.
"""

from __future__ import annotations

from matching.errors import (
    ConflictError,
    FamilyFinderError,
    NotFamilyFoundError,
    NotFoundError,
    PolicyError,
    ReasonRequired,
    ReplayUnavailable,
    ValidationError,
)

# Most specific first: the first class the error is an instance of wins.
_MAPPING: tuple[tuple[type[FamilyFinderError], int, int], ...] = (
    (ValidationError, 1, 422),
    (NotFamilyFoundError, 3, 422),
    (ReasonRequired, 1, 422),
    (NotFoundError, 2, 404),
    (ConflictError, 4, 409),
    (PolicyError, 5, 500),
    (ReplayUnavailable, 10, 410),
    (FamilyFinderError, 1, 400),
)


def exit_code(error: FamilyFinderError) -> int:
    """The CLI exit code for `error`."""
    for cls, code, _status in _MAPPING:
        if isinstance(error, cls):
            return code
    raise TypeError(f"not a FamilyFinderError: {error!r}")


def http_status(error: FamilyFinderError) -> int:
    """The HTTP status code for `error`."""
    for cls, _code, status in _MAPPING:
        if isinstance(error, cls):
            return status
    raise TypeError(f"not a FamilyFinderError: {error!r}")


def error_lines(error: FamilyFinderError) -> list[str]:
    """What to tell the user: one line per problem for a ValidationError, else the message."""
    if isinstance(error, ValidationError) and error.problems:
        return [str(problem) for problem in error.problems]
    return [f"error: {error}"]


def error_body(error: FamilyFinderError) -> dict[str, object]:
    """A JSON body for an HTTP error response (problems listed for a ValidationError)."""
    body: dict[str, object] = {"error": type(error).__name__, "detail": str(error)}
    if isinstance(error, ValidationError):
        body["problems"] = [
            {"file": p.file, "line": p.line, "column": p.column, "reason": p.reason}
            for p in error.problems
        ]
    return body


# Not a domain error: the database could not be reached or used (bad URL, server down).
DATABASE_EXIT_CODE = 6

# Not a domain error: a FAMILYFINDER_* environment variable that does not validate.
CONFIGURATION_EXIT_CODE = 2

# Not a domain error: `serve` cannot listen where asked (port in use, no permission).
LISTEN_EXIT_CODE = 7

# Not an error: the work was cancelled by a person (a round, from the API or a page).
CANCELLED_EXIT_CODE = 8

# Not an error: a replayed run differs from what was stored (`familyfinder replay`).
REPLAY_DIFFERS_EXIT_CODE = 9
