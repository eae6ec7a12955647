"""CSV uploads read as they stream in, and only once the sender is known to be allowed.

The upload routes (`POST /api/imports`, `POST /admin/imports`) declare no form or file
parameters, so FastAPI reads no body before their dependencies have signed the caller
in and checked the role: an anonymous or unauthorised upload is answered 401, 403 or a
redirect having read nothing (issue #13: 590 MiB were written to the temporary
directory before the 401). The route then calls `receive_csv_files`, which parses the
multipart body chunk by chunk and writes each file straight to its canonical name in a
private directory, stopping at the first byte over the per-file limit (a problem naming
the file). The whole body's limit is the security middleware's (`api.app`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from matching.errors import Problem, ValidationError
from matching.vocab import CHILDREN_FILE, HOUSEHOLDS_FILE, LINKS_FILE

# An import's form fields and the canonical file names they are saved and validated as.
IMPORT_FILES = {
    "children": CHILDREN_FILE,
    "households": HOUSEHOLDS_FILE,
    "sibling_links": LINKS_FILE,
}

# A text field (a date, a CSRF token) is short; the form has a handful of parts.
MAX_FIELD_BYTES = 4096
MAX_PARTS = 16


@dataclass
class ReceivedUpload:
    """What the form held: files written under their canonical names, text fields."""

    files: dict[str, Path] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)


class _Refused(Exception):
    """Stop parsing: the upload has a problem (the rest of the body is not read)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _problem(name: str, reason: str) -> _Refused:
    return _Refused(Problem(name, 0, "", reason))


class _Collector:
    """python-multipart callbacks writing file parts to `directory` as they arrive."""

    def __init__(
        self,
        directory: Path,
        files: Mapping[str, str],
        fields: Collection[str],
        max_file_bytes: int,
    ) -> None:
        self.directory = directory
        self.files = files
        self.fields = fields
        self.max_file_bytes = max_file_bytes
        self.received = ReceivedUpload()
        self.parts = 0
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._file_name = ""  # the canonical name of the file being written
        self._out: IO[bytes] | None = None
        self._text: bytearray | None = None
        self._written = 0

    def callbacks(self) -> dict[str, Callable[..., Any]]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise _problem("request", f"more than {MAX_PARTS} parts in the form")
        self._headers = {}
        self._out, self._text, self._written = None, None, 0

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        _kind, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            if self._name not in self.files:
                raise _problem("request", f"unexpected file field {self._name!r}")
            file_name = options[b"filename"].decode("utf-8", "replace")
            if file_name:  # a browser sends an empty part for a file input left empty
                self._file_name = self.files[self._name]
                self._out = (self.directory / self._file_name).open("wb")
        elif self._name in self.fields:
            self._text = bytearray()
        else:
            raise _problem("request", f"unexpected form field {self._name!r}")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        size = end - start
        if self._out is not None:
            self._written += size
            if self._written > self.max_file_bytes:
                raise _problem(
                    self._file_name, f"file is over the limit of {self.max_file_bytes:,} bytes"
                )
            self._out.write(data[start:end])
        elif self._text is not None:
            if len(self._text) + size > MAX_FIELD_BYTES:
                raise _problem("request", f"form field {self._name!r} is too long")
            self._text += data[start:end]

    def on_part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self.received.files[self._file_name] = self.directory / self._file_name
            self._out = None
        elif self._text is not None:
            self.received.fields[self._name] = self._text.decode("utf-8", "replace")
            self._text = None

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


async def receive_csv_files(
    request: Request,
    directory: Path,
    *,
    files: Mapping[str, str],
    fields: Collection[str],
    max_file_bytes: int,
) -> ReceivedUpload:
    """Stream the request's multipart form into `directory` (see the module docstring).

    `files` maps form field names to the canonical file names they are written as;
    `fields` names the text fields accepted. A ValidationError names the first problem
    (a file over `max_file_bytes`, an unexpected field, a body that is not a form);
    whatever was written is left in `directory` for its owner to remove.
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ValidationError([Problem("request", 0, "", "send the files as multipart/form-data")])
    collector = _Collector(directory, files, fields, max_file_bytes)
    parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            if chunk:
                # parsing and writing to disk off the event loop: other requests go on
                await run_in_threadpool(parser.write, chunk)
        parser.finalize()
    except _Refused as refused:
        raise ValidationError([refused.problem]) from None
    except ValueError as error:  # python-multipart's own complaints about the framing
        raise ValidationError(
            [Problem("request", 0, "", f"the form could not be read: {error}")]
        ) from None
    finally:
        collector.close()
    return collector.received
