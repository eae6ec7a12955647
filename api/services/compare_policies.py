"""The second policy a fairness report is compared under on the service (issue #16:
the CLI's `--compare FILE` for GET /api/fairness, POST /api/fairness/compare and the
/fairness page).

Two kinds, and nothing else:

* a policy the service knows by name: `shipped` (the policy shipped with the package)
  and each NAME.toml an administrator of the server put in
  FAMILYFINDER_COMPARE_POLICY_DIR (a draft the policy owner wants judged). A request
  names one; it never gives a path, and a name is looked up among the files listed,
  never joined to the folder.
* a policy file's text sent with the request. It is never stored: the audit row of the
  read names its version and the SHA-256 of its bytes, so whoever keeps the file can
  show later exactly what was compared.

Either way the text is at most MAX_POLICY_BYTES and is read as the CLI reads a policy
file (UTF-8, then `matching.policy.load_policy`: `tomllib` and the Policy model). TOML
is data: nothing in it runs. A text that does not validate is a ValidationError (422)
whose problem names the line and the key at fault.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError as ModelError

from api.limits import MAX_POLICY_BYTES, POLICY_NAME_PATTERN
from matching.errors import PolicyError, Problem, ValidationError
from matching.policy import Policy, default_policy, load_policy

SHIPPED = "shipped"
_NAME = re.compile(POLICY_NAME_PATTERN)
# more files than this in the folder are not listed (it is a handful of drafts)
MAX_NAMED = 100
# an audit row names a version by at most this many characters
_VERSION_IN_AUDIT = 64

_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=")


@dataclass(frozen=True)
class ComparedPolicy:
    """A validated second policy, with how to name it to people and in the audit."""

    policy: Policy
    described: str  # words: "the shipped policy", "draft-2027", "the file you sent"
    audit: str  # "named:draft-2027" or "sent:sha256=..."


@dataclass(frozen=True)
class NamedPolicy:
    """A policy the service knows by name: its version, or why it cannot be used."""

    name: str
    version: str | None
    problem: str | None


def _parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in dotted.split(".")]


def _key_line(text: str, loc: tuple[str, ...]) -> int:
    """The line of `text` that sets the key at `loc` (a validation error's location),
    else the line of the table it belongs in, else 0 (the whole file). A plain reading
    of tables and keys: enough to point a person at the line."""
    table: list[str] = []
    arrays: dict[tuple[str, ...], int] = {}
    headers: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            path = tuple(_parts(header.group(2)))
            if header.group(1) == "[[":
                arrays[path] = arrays.get(path, -1) + 1
                table = [*path, str(arrays[path])]
            else:
                table = list(path)
            headers.setdefault(tuple(table), number)
            continue
        key = _KEY.match(line)
        if key and tuple([*table, *_parts(key.group(1))]) == loc:
            return number
    for end in range(len(loc), 0, -1):
        if loc[:end] in headers:
            return headers[loc[:end]]
    return 0


def _problem(file: str, text: str, error: PolicyError) -> Problem:
    """`load_policy`'s error as a problem with its line and key."""
    cause = error.__cause__
    message = str(error)
    if isinstance(cause, ModelError):  # the Policy model's
        first = cause.errors()[0]
        loc = tuple(str(part) for part in first["loc"])
        key = ".".join(loc) or "policy"
        reason = message.removeprefix(f"{key}: ")
        return Problem(file, _key_line(text, loc), key, reason)
    at = _TOML_AT.search(message)
    return Problem(file, int(at.group(1)) if at else 0, "", message.removeprefix("policy "))


def policy_from_bytes(data: bytes, *, file: str) -> Policy:
    """The policy in `data`, validated as the CLI validates a policy file; a
    ValidationError naming `file`, the line and the key when it is not one."""
    if len(data) > MAX_POLICY_BYTES:
        reason = f"is larger than {MAX_POLICY_BYTES // 1024} KB: a policy file is far smaller"
        raise ValidationError([Problem(file, 0, "", reason)])
    if not data.strip():
        raise ValidationError([Problem(file, 0, "", "is empty: send a policy file's text")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        reason = f"is not UTF-8 text (byte {error.start + 1} cannot be read)"
        raise ValidationError([Problem(file, 0, "", reason)]) from None
    try:
        return load_policy(text)
    except PolicyError as error:
        raise ValidationError([_problem(file, text, error)]) from None


def audit_version(version: str) -> str:
    """A policy's version as an audit row names it: printable, no spaces, at most 64
    characters (a sent file's version is whatever its author wrote)."""
    shown = "".join(c if c.isprintable() and not c.isspace() else "?" for c in version)
    return shown[:_VERSION_IN_AUDIT]


def sent_policy(data: bytes, *, file: str = "policy") -> ComparedPolicy:
    """A policy file's text sent with a request (never stored)."""
    policy = policy_from_bytes(data, file=file)
    digest = hashlib.sha256(data).hexdigest()
    return ComparedPolicy(
        policy=policy,
        described="the policy file you sent",
        audit=f"sent:sha256={digest}",
    )


def _folder_files(directory: Path | None) -> dict[str, Path]:
    """The NAME.toml files directly in `directory` whose NAME is a valid name."""
    if directory is None or not directory.is_dir():
        return {}
    found: dict[str, Path] = {}
    for path in sorted(directory.glob("*.toml")):
        name = path.stem
        if _NAME.match(name) and name != SHIPPED and path.is_file():
            found[name] = path
        if len(found) >= MAX_NAMED:
            break
    return found


def _read(path: Path, name: str) -> Policy:
    try:
        with path.open("rb") as source:
            data = source.read(MAX_POLICY_BYTES + 1)
    except OSError as error:
        raise ValidationError([Problem(f"{name}.toml", 0, "", "cannot be read")]) from error
    return policy_from_bytes(data, file=f"{name}.toml")


def problem_words(problem: Problem) -> str:
    """A policy file's problem as a person reads it: the file, the line, the key."""
    where = f"line {problem.line}" if problem.line else "the whole file"
    key = f" {problem.column}" if problem.column else ""
    return f"{problem.file}, {where}:{key} {problem.reason}"


def named_policies(directory: Path | None) -> list[NamedPolicy]:
    """Every policy the service knows by name, the shipped one first, each with its
    version or the reason it cannot be used."""
    known = [NamedPolicy(SHIPPED, default_policy().version, None)]
    for name, path in _folder_files(directory).items():
        try:
            known.append(NamedPolicy(name, _read(path, name).version, None))
        except ValidationError as error:
            known.append(NamedPolicy(name, None, problem_words(error.problems[0])))
    return known


def named_policy(name: str, directory: Path | None) -> ComparedPolicy:
    """The policy the service knows as `name`; a ValidationError naming the ones it
    knows when there is none, or saying what is wrong with the file."""
    audit = f"named:{name}"
    if name == SHIPPED:
        return ComparedPolicy(default_policy(), "the policy shipped with familyfinder", audit)
    files = _folder_files(directory)
    if name not in files:
        known = ", ".join([SHIPPED, *files])
        reason = f"no policy is named {name[:64]!r}: the service knows {known}"
        raise ValidationError([Problem("compare", 0, "compare", reason)])
    return ComparedPolicy(_read(files[name], name), name, audit)
