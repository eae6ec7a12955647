"""The CSV format against files as authorities really have them (issues #12, #13, #14):
encodings, NUL bytes, ids the API can address, adults in a children's file, unknown
sibling relationships, children-only imports, facts not recorded, postcodes, and
practice contradictions imported as warnings."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from matching.csv_format import read_authority, read_files, write_authority
from matching.domain import Authority
from matching.errors import Problem, ValidationError
from matching.postcodes import PostcodeIndex

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"
AS_OF = date(2026, 6, 1)


def tiny() -> tuple[bytes, bytes, bytes]:
    return tuple(  # type: ignore[return-value]
        (TINY / name).read_bytes()
        for name in ("children.csv", "households.csv", "sibling_links.csv")
    )


def problems(children: bytes, households: bytes | None, links: bytes | None) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        read_authority(
            io.BytesIO(children),
            None if households is None else io.BytesIO(households),
            None if links is None else io.BytesIO(links),
            as_of=AS_OF,
        )
    return caught.value.problems


def located(found: list[Problem]) -> list[str]:
    return [f"{p.file}:{p.line}: {p.column}" for p in found]


# ---------------------------------------------------------------- encodings


def test_a_windows_1252_file_is_read_as_such_and_says_so() -> None:
    children, households, links = tiny()
    latin = children.replace(b"C001,Ava,", "C001,Zoë,".encode("cp1252"))
    assert b"\xeb" in latin  # ë as Windows-1252, not UTF-8
    result = read_files(io.BytesIO(latin), io.BytesIO(households), io.BytesIO(links), as_of=AS_OF)
    assert result.authority.children[0].first_name == "Zoë"
    assert result.report.encodings == {
        "children.csv": "Windows-1252",
        "households.csv": "UTF-8",
        "sibling_links.csv": "UTF-8",
    }


def test_utf8_with_a_bom_is_reported_as_such() -> None:
    children, households, links = tiny()
    result = read_files(
        io.BytesIO(b"\xef\xbb\xbf" + children.replace(b"Ava", "Zoë".encode())),
        io.BytesIO(households),
        io.BytesIO(links),
        as_of=AS_OF,
    )
    assert result.report.encodings["children.csv"] == "UTF-8 with BOM"
    assert result.authority.children[0].first_name == "Zoë"


def test_a_nul_byte_in_a_cell_is_refused_at_its_line() -> None:
    # Issue #13: a NUL in a cell used to reach PostgreSQL and answer 500.
    children, households, links = tiny()
    found = problems(children.replace(b"C002,Ben,", b"C002,B\x00en,"), households, links)
    assert located(found) == ["children.csv:3: "]
    assert "NUL byte" in found[0].reason


# ---------------------------------------------------------------- ids


@pytest.mark.parametrize(
    "bad_id",
    ["C<1>", 'C"1', "C/1", "С001", "C" * 10_001, "..", "C 1"],  # "С001": Cyrillic Es
)
def test_ids_the_api_cannot_address_are_refused(bad_id: str) -> None:
    # Issue #13: these were imported, and no URL could then name them.
    children, households, _links = tiny()
    cell = '"' + bad_id.replace('"', '""') + '"'
    found = problems(children.replace(b"C006,", cell.encode() + b",", 1), households, None)
    ids = [p for p in found if p.column == "child_id"]
    assert located(ids) == ["children.csv:7: child_id"]
    assert "not a usable id" in ids[0].reason
    assert "1 to 64 letters" in ids[0].reason


def test_a_household_id_and_a_placed_with_are_held_to_the_same_rule() -> None:
    children, households, links = tiny()
    found = problems(children, households.replace(b"H006,", b"H/6,", 1), links)
    assert "households.csv:7: household_id" in located(found)


# ---------------------------------------------------------------- eligibility


def test_a_young_person_of_18_is_refused_at_the_date_of_birth() -> None:
    children, households, links = tiny()
    adult = children.replace(b"C005,Dee,2012-09-30", b"C005,Dee,2008-05-31", 1)
    found = problems(adult, households, links)
    (problem,) = [p for p in found if p.column == "date_of_birth"]
    assert str(problem).startswith("children.csv:6: date_of_birth: ")
    assert "18" in problem.reason and "under 18" in problem.reason


# ---------------------------------------------------------------- links and files


def test_an_unknown_sibling_relationship_is_not_recorded() -> None:
    children, households, links = tiny()
    authority = read_authority(
        io.BytesIO(children),
        io.BytesIO(households),
        io.BytesIO(links.replace(b"C005,C006,half,", b"C005,C006,not_recorded,")),
        as_of=AS_OF,
    )
    assert {link.relationship for link in authority.links} == {"full", "half", "not_recorded"}


def test_a_children_only_import_is_allowed() -> None:
    children, _, links = tiny()
    # Without households, the connected household's children need nothing else.
    authority = read_authority(io.BytesIO(children), None, io.BytesIO(links), as_of=AS_OF)
    assert len(authority.children) == 8 and authority.households == ()


# ---------------------------------------------------------------- new columns


def _with_columns(children: bytes, extra: dict[str, str]) -> bytes:
    """children.csv with columns `placed_with` and `placement_order_on` added."""
    header, *rows = children.decode().splitlines()
    out = [header + ",placed_with,placement_order_on"]
    for row in rows:
        child_id = row.split(",", 1)[0]
        out.append(row + "," + extra.get(child_id, ","))
    return ("\n".join(out) + "\n").encode()


def test_placed_with_and_placement_order_on_round_trip() -> None:
    children, households, links = tiny()
    children = _with_columns(children, {}).replace(b",waiting,,\n", b",waiting,,\n")
    authority = read_authority(
        io.BytesIO(children), io.BytesIO(households), io.BytesIO(links), as_of=AS_OF
    )
    placed = replace(
        authority.children[4], status="placed", placed_with="H002", placement_order_on=None
    )
    ordered = replace(authority.children[3], placement_order_on=None)
    first = replace(authority.children[0], placement_order_on=date(2026, 5, 1))
    changed = Authority(
        children=(first, *authority.children[1:3], ordered, placed, *authority.children[5:]),
        households=authority.households,
        links=authority.links,
    )
    outs = io.StringIO(), io.StringIO(), io.StringIO()
    write_authority(changed, *outs)
    back = read_authority(*(io.BytesIO(o.getvalue().encode()) for o in outs), as_of=AS_OF)
    assert back == changed


def test_placed_with_must_name_a_household_and_a_placed_child() -> None:
    children, households, links = tiny()
    with_unknown = _with_columns(children, {"C005": "H999,"}).replace(b"C005,Dee", b"C005,Dee", 1)
    with_unknown = with_unknown.replace(b",waiting,H999,", b",placed,H999,")
    found = problems(with_unknown, households, links)
    assert "children.csv:6: placed_with" in located(found)
    assert any("no household 'H999'" in p.reason for p in found)
    waiting = _with_columns(children, {"C005": "H002,"})
    found = problems(waiting, households, links)
    assert any(p.column == "placed_with" and "waiting" in p.reason for p in found)


# ---------------------------------------------------------------- not recorded


def test_not_recorded_smoker_pets_and_access_are_held_as_unknown_and_written_back() -> None:
    children, households, links = tiny()
    unknown = households.replace(b",false,true,false,54.7900", b",not_recorded,,false,54.7900")
    authority = read_authority(
        io.BytesIO(children), io.BytesIO(unknown), io.BytesIO(links), as_of=AS_OF
    )
    harpers = authority.households[0]
    assert (harpers.smoker, harpers.pets, harpers.wheelchair_access) == (None, None, False)
    outs = io.StringIO(), io.StringIO(), io.StringIO()
    write_authority(authority, *outs)
    back = read_authority(*(io.BytesIO(o.getvalue().encode()) for o in outs), as_of=AS_OF)
    assert back == authority


# ---------------------------------------------------------------- practice warnings


def test_a_together_group_with_different_plans_is_imported_with_a_warning() -> None:
    children, households, links = tiny()
    changed = children.replace(
        b"C002,Ben,2018-07-01,male,WBRI,none,en,C2,long_term_foster",
        b"C002,Ben,2018-07-01,male,WBRI,none,en,C2,adoption",
    )
    result = read_files(io.BytesIO(changed), io.BytesIO(households), io.BytesIO(links), as_of=AS_OF)
    (warning,) = result.report.warnings
    assert str(warning).startswith("children.csv:2: warning: C001 and C002 and C003")
    assert "different permanence plans" in warning.message
    assert len(result.authority.children) == 8


# ---------------------------------------------------------------- postcodes

# A few real postcode points of Durham (ONS Postcode Directory, converted to WGS84).
DIRECTORY = PostcodeIndex(
    ["DH1 3LE", "DH1 3AA", "DH1 5ZZ", "SR1 1AA"],
    [54.7753, 54.7763, 54.7900, 54.9050],
    [-1.5846, -1.5743, -1.5200, -1.3830],
)


def _postcode_children(children: bytes, home: str) -> bytes:
    header, *rows = children.decode().splitlines()
    columns = header.split(",")
    at = columns.index("home_lat")
    out = [",".join([*columns[:at], "home_postcode", *columns[at + 2 :]])]
    for row in rows:
        cells = row.split(",")
        postcode = home if cells[0] == "C005" else ""
        out.append(",".join([*cells[:at], postcode, *cells[at + 2 :]]))
    return ("\n".join(out) + "\n").encode()


def test_a_postcode_stands_in_for_latitude_and_longitude() -> None:
    children, households, links = tiny()
    result = read_files(
        io.BytesIO(_postcode_children(children, "dh13le")),
        io.BytesIO(households),
        io.BytesIO(links),
        as_of=AS_OF,
        geocoder=DIRECTORY,
    )
    dee = result.authority.children[4]
    assert (dee.home_lat, dee.home_lon) == (54.7753, -1.5846)
    assert result.report.notes == []


def test_a_postcode_district_resolves_to_its_centroid_and_says_so() -> None:
    children, households, links = tiny()
    result = read_files(
        io.BytesIO(_postcode_children(children, "DH1")),
        io.BytesIO(households),
        io.BytesIO(links),
        as_of=AS_OF,
        geocoder=DIRECTORY,
    )
    dee = result.authority.children[4]
    assert dee.home_lat == pytest.approx((54.7753 + 54.7763 + 54.7900) / 3)
    (note,) = result.report.notes
    assert str(note).startswith("children.csv:6: note: home_postcode: DH1 is a postcode district")
    assert "centroid of its 3 postcodes" in note.message


def test_an_unknown_postcode_is_an_error_at_its_line_and_column() -> None:
    children, households, links = tiny()
    with pytest.raises(ValidationError) as caught:
        read_authority(
            io.BytesIO(_postcode_children(children, "ZZ9 9ZZ")),
            io.BytesIO(households),
            io.BytesIO(links),
            as_of=AS_OF,
            geocoder=DIRECTORY,
        )
    assert [str(p).split(": ")[0] + ": " + p.column for p in caught.value.problems] == [
        "children.csv:6: home_postcode"
    ]


def test_a_household_without_postcode_or_coordinates_is_told_to_give_one() -> None:
    children, households, links = tiny()
    header, *rows = households.decode().splitlines()
    columns = header.split(",")
    at = columns.index("lat")
    out = [",".join([*columns[:at], "postcode", *columns[at + 2 :]])]
    for row in rows:
        cells = row.split(",")
        postcode = "" if cells[0] == "H002" else "DH1 3LE"
        out.append(",".join([*cells[:at], postcode, *cells[at + 2 :]]))
    with pytest.raises(ValidationError) as caught:
        read_authority(
            io.BytesIO(children),
            io.BytesIO(("\n".join(out) + "\n").encode()),
            io.BytesIO(links),
            as_of=AS_OF,
            geocoder=DIRECTORY,
        )
    assert [str(p) for p in caught.value.problems] == [
        "households.csv:3: postcode: give a postcode, or lat and lon"
    ]
