"""Uploads are read only from a signed-in admin, and cut off at the size limit as they
stream in (issue #13: a 590 MiB multipart upload without a token was written to the
temporary directory before the 401).

The app is called as the server would call it, with a `receive` that counts how much
of the body the app asked for: an upload refused for who sent it is refused having
read nothing.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from tests.api.conftest import TINY, ApiEnv
from tests.api.test_pages_access import sign_in

BOUNDARY = "ffboundary0123456789"
CHUNK = 64 * 1024
MEBIBYTE_CHUNKS = 16  # 1 MiB = 16 chunks


def multipart_chunks(first_file_bytes: int) -> Iterator[bytes]:
    """A multipart body whose `children` file holds `first_file_bytes` bytes, in chunks."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="children"; filename="children.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    yield head + (TINY / "children.csv").read_bytes()
    sent = 0
    while sent < first_file_bytes:
        yield b"#" * CHUNK
        sent += CHUNK
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    yield tail


class Upload:
    """Drives one request through the ASGI app; counts the body chunks it asked for."""

    def __init__(self, app: FastAPI, path: str, headers: dict[str, str], body_mib: int) -> None:
        self.app, self.path, self.headers = app, path, headers
        self.chunks = list(multipart_chunks(body_mib * 1024 * 1024))
        self.asked = 0
        self.status = 0
        self.response_headers: dict[str, str] = {}
        self.body = b""

    async def _receive(self) -> dict[str, Any]:
        if self.asked < len(self.chunks):
            chunk = self.chunks[self.asked]
            self.asked += 1
            return {
                "type": "http.request",
                "body": chunk,
                "more_body": self.asked < len(self.chunks),
            }
        await asyncio.Event().wait()  # the client has nothing more to send
        raise AssertionError("unreachable")

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.response_headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    def run(self) -> Upload:
        headers = [
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
            (b"host", b"testserver"),
            *((k.lower().encode(), v.encode()) for k, v in self.headers.items()),
        ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("203.0.113.5", 50000),
            "server": ("testserver", 80),
        }
        asyncio.run(self.app(scope, self._receive, self._send))
        return self


def leftover_uploads() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("ff-upload-*")}


@pytest.mark.parametrize("path", ["/api/imports", "/admin/imports"])
def test_an_anonymous_upload_is_refused_having_read_nothing(api_env: ApiEnv, path: str) -> None:
    before = leftover_uploads()
    upload = Upload(api_env.app, path, {}, body_mib=64).run()
    if path.startswith("/api/"):
        assert upload.status == 401
    else:
        assert upload.status == 303 and upload.response_headers["location"].startswith("/login")
    assert upload.asked == 0
    assert leftover_uploads() == before


def test_an_upload_by_a_role_that_may_not_import_is_refused_having_read_nothing(
    api_env: ApiEnv,
) -> None:
    finder = Upload(
        api_env.app, "/api/imports", api_env.headers["family_finder"], body_mib=64
    ).run()
    assert finder.status == 403 and finder.asked == 0
    forged = Upload(
        api_env.app, "/api/imports", {"Authorization": "Bearer forged.token.here"}, body_mib=64
    ).run()
    assert forged.status == 401 and forged.asked == 0
    page = sign_in(api_env, "family_finder")
    cookie = "; ".join(f"{name}={value}" for name, value in page.cookies.items())
    on_page = Upload(api_env.app, "/admin/imports", {"Cookie": cookie}, body_mib=64).run()
    assert on_page.status == 403 and on_page.asked == 0


def test_a_file_over_the_limit_is_cut_off_as_it_arrives(empty_api_env: ApiEnv) -> None:
    """max_upload_bytes is 4 KiB here: the admin's 64 MiB file is refused after the
    first chunks past the limit, not after the whole body was read and stored."""
    before = leftover_uploads()
    upload = Upload(
        empty_api_env.app, "/api/imports", empty_api_env.headers["admin"], body_mib=64
    ).run()
    assert upload.status == 422, upload.body
    assert b"children.csv" in upload.body and b"over the limit of 4,096 bytes" in upload.body
    assert upload.asked <= 2  # the head and one chunk of 64 KiB, of 1,026
    assert len(upload.chunks) > 1000
    assert leftover_uploads() == before


def test_an_admin_upload_of_the_right_size_is_imported(empty_api_env: ApiEnv) -> None:
    files = {
        name: (f"{name}.csv", (TINY / f"{name}.csv").read_bytes(), "text/csv")
        for name in ("children", "households")
    }
    admin = empty_api_env.headers["admin"]
    client = empty_api_env.client
    # children.csv is required; households.csv is not (issue #14: children-only imports)
    missing = client.post("/api/imports", files={"households": files["households"]}, headers=admin)
    assert missing.status_code == 422
    assert missing.json()["problems"][0]["file"] == "children.csv"
    bad_date = client.post("/api/imports", files=files, data={"as_of": "soon"}, headers=admin)
    assert bad_date.status_code == 422 and bad_date.json()["problems"][0]["column"] == "as_of"
    extra = client.post("/api/imports", files=files, data={"surprise": "x"}, headers=admin)
    assert extra.status_code == 422 and "unexpected form field" in extra.text
    ok = client.post("/api/imports", files=files, data={"as_of": "2026-06-01"}, headers=admin)
    assert ok.status_code == 200, ok.text
    assert ok.json()["children_inserted"] == 8
    only = {"children": files["children"]}
    again = client.post("/api/imports", files=only, data={"as_of": "2026-06-01"}, headers=admin)
    assert again.status_code == 200, again.text
    assert again.json()["children_updated"] == 8 and again.json()["households_inserted"] == 0


def test_the_import_page_takes_files_larger_than_a_form(api_env: ApiEnv) -> None:
    """The admin page's import gets the upload limit, not the 1 MiB of an ordinary form
    (it was refused with 413 above 1 MiB)."""
    admin = sign_in(api_env, "admin")
    token = admin.get("/admin").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    children = (TINY / "children.csv").read_bytes() + b"C999,too,many\n" * 200_000  # ~2.8 MB
    response = admin.post(
        "/admin/imports",
        data={"csrf_token": token},
        files={
            "children": ("children.csv", children, "text/csv"),
            "households": ("households.csv", (TINY / "households.csv").read_bytes(), "text/csv"),
        },
    )
    assert response.status_code == 422, response.status_code  # read and checked, not 413
    assert 'id="import-problems"' in response.text
