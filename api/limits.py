"""The limits every door applies to a request, in one place with no imports.

`api.requests` builds its validation from them; the CLI quotes them in `--help`, which
must not load pydantic (see `tests/api/test_cli_newcomer.py`).
"""

ROUND_MAX_PER_UNIT = 50
ROUND_MAX_APPEARANCES = 50
ROUND_MAX_TIME_LIMIT_S = 600.0  # a background round holds the one round worker this long
SHORTLIST_MAX_TOP = 200
MAX_PAGE = 500
MAX_OFFSET = 10_000_000
MAX_WHAT_IF_SPECS = 10
# A second policy the fairness report is compared under (api.services.compare_policies):
# the shipped policy, with the sources of its numbers in comments, is about 11 KB; a
# policy the service knows by name is called by a file name's stem, never a path.
MAX_POLICY_BYTES = 64 * 1024
POLICY_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
