"""A corpus of bad inputs made from good extracts, each with the outcome the gate must give.

Every case rewrites one good landed file (``mutate`` takes the file's bytes and returns
the bad bytes) and states what must happen: the whole file ``rejected`` under a rule, or
``loaded`` with some rows ``quarantined`` or ``excluded`` under a rule. The tests run each
case through the real gate and check the outcome and row conservation.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Callable

Rows = list[list[str]]


@dataclass(frozen=True)
class Outcome:
    """What the gate must do. ``excluded=None`` means: every row of the person in data row 1."""

    status: str  # loaded | rejected | skipped
    rule: str | None = None  # the rule that rejects the file, or that the affected rows fail
    quarantined: int = 0
    excluded: int | None = 0
    dropped_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class BadInput:
    name: str
    description: str
    extract: str  # source.extract of the good file it starts from
    mutate: Callable[[bytes], bytes]
    expect: Outcome
    from_previous_night: bool = False  # start from the previous night's file instead of tonight's
    keep_name: bool = False  # deliver it tonight under its own (previous night's) name
    opt_out_row_1: bool = False  # put the person of data row 1 on the opt-out register


def _rows(raw: bytes) -> Rows:
    return list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))


def _csv(rows: Rows, delimiter: str = ",", newline: str = "\n") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue().encode("utf-8")


def _edit(column: str, value: str | Callable[[str], str], row: int = 1) -> Callable[[bytes], bytes]:
    """Set one cell (data row ``row``, 1-based) to a value or a function of the old value."""

    def mutate(raw: bytes) -> bytes:
        rows = _rows(raw)
        i = rows[0].index(column)
        rows[row][i] = value(rows[row][i]) if callable(value) else value
        return _csv(rows)

    return mutate


def _header(transform: Callable[[list[str]], list[str]]) -> Callable[[bytes], bytes]:
    def mutate(raw: bytes) -> bytes:
        rows = _rows(raw)
        return _csv([transform(rows[0])] + rows[1:])

    return mutate


def _drop_column(name: str) -> Callable[[bytes], bytes]:
    def mutate(raw: bytes) -> bytes:
        rows = _rows(raw)
        i = rows[0].index(name)
        return _csv([r[:i] + r[i + 1:] for r in rows])

    return mutate


def _add_column(name: str, value: str) -> Callable[[bytes], bytes]:
    def mutate(raw: bytes) -> bytes:
        rows = _rows(raw)
        return _csv([rows[0] + [name]] + [r + [value] for r in rows[1:]])

    return mutate


def _shuffle_columns(raw: bytes) -> bytes:
    rows = _rows(raw)
    order = list(reversed(range(len(rows[0]))))
    return _csv([[r[i] for i in order] for r in rows])


def _keep_rows(share: float) -> Callable[[bytes], bytes]:
    def mutate(raw: bytes) -> bytes:
        rows = _rows(raw)
        return _csv(rows[:1] + rows[1:max(2, int(len(rows) * share))])

    return mutate


def _repeat_body(times: int) -> Callable[[bytes], bytes]:
    def mutate(raw: bytes) -> bytes:
        rows = _rows(raw)
        body = [r[:] for _ in range(times) for r in rows[1:]]
        key = rows[0].index("pupil_id")
        for n, r in enumerate(body):
            r[key] = f"{r[key]}{n // (len(rows) - 1)}"  # distinct keys: a real spike, not duplicates
        return _csv(rows[:1] + body)

    return mutate


def _duplicate_row(raw: bytes) -> bytes:
    rows = _rows(raw)
    return _csv(rows[:2] + [rows[1]] + rows[2:])


def _latin1(raw: bytes) -> bytes:
    rows = _rows(raw)
    i = rows[0].index("surname")
    rows[1][i] = "Zoë Müller"
    return _csv(rows).decode("utf-8").encode("latin-1")


def _ragged(raw: bytes) -> bytes:
    rows = _rows(raw)
    rows[2] = rows[2][:-2]
    return _csv(rows)


def _garbage(raw: bytes) -> bytes:
    return bytes((i * 37 + 11) % 256 for i in range(4096))


def _insert_nul(raw: bytes) -> bytes:
    cut = raw.index(b"\n") + 5
    return raw[:cut] + b"\x00" + raw[cut:]


def _upn_bad_check(upn: str) -> str:
    return ("A" if upn[0] != "A" else "B") + upn[1:]


def _nhs_bad_check(nhs: str) -> str:
    return nhs[:9] + str((int(nhs[9]) + 1) % 10)


PUPILS, CRIMES, HEALTH, ARRESTS = "education.pupils", "police.crimes", "health.semh_referrals", "police.arrests"
REJECTED = "rejected"

CORPUS: tuple[BadInput, ...] = (
    BadInput("wrong_delimiter", "Semicolons instead of commas", PUPILS, lambda raw: _csv(_rows(raw), delimiter=";"), Outcome(REJECTED, "FILE-DELIMITER")),
    BadInput("tab_delimiter", "Tabs instead of commas", PUPILS, lambda raw: _csv(_rows(raw), delimiter="\t"), Outcome(REJECTED, "FILE-DELIMITER")),
    BadInput("utf8_bom", "A UTF-8 byte-order mark: readable, loads", PUPILS, lambda raw: b"\xef\xbb\xbf" + raw, Outcome("loaded")),
    BadInput("latin1_bytes", "A name written in Latin-1, not UTF-8", PUPILS, _latin1, Outcome(REJECTED, "FILE-ENCODING")),
    BadInput("crlf_line_endings", "Windows line endings: loads", PUPILS, lambda raw: _csv(_rows(raw), newline="\r\n"), Outcome("loaded")),
    BadInput("truncated_last_line", "The file stops in the middle of a row", PUPILS, lambda raw: raw[: len(raw) - 7], Outcome(REJECTED, "FILE-TRUNCATED")),
    BadInput("ragged_row", "A row with two fields missing", PUPILS, _ragged, Outcome(REJECTED, "FILE-TRUNCATED")),
    BadInput("empty_file", "Zero bytes", PUPILS, lambda raw: b"", Outcome(REJECTED, "FILE-EMPTY")),
    BadInput("header_only_snapshot", "Only a header, for an extract that always has rows", PUPILS, lambda raw: raw[: raw.index(b"\n") + 1], Outcome(REJECTED, "FILE-HEADER-ONLY")),
    BadInput("missing_required_column", "The required sex column is not there", PUPILS, _drop_column("sex"), Outcome(REJECTED, "FILE-COLUMNS")),
    BadInput("renamed_column", "dob arrives as date_of_birth", PUPILS, _header(lambda h: ["date_of_birth" if c == "dob" else c for c in h]), Outcome(REJECTED, "FILE-COLUMNS")),
    BadInput("extra_column_with_names", "A mother_name column not in the contract: dropped, named, never loaded", PUPILS,
             _add_column("mother_name", "Jacqueline Oddname"), Outcome("loaded", dropped_columns=("mother_name",))),
    BadInput("shuffled_column_order", "Columns in reverse order: loads into the right columns", PUPILS, _shuffle_columns, Outcome("loaded")),
    BadInput("wrong_date_format", "A date as DD/MM/YYYY", PUPILS, _edit("entry_date", "04/09/2019"), Outcome("loaded", "CON-TYPE", quarantined=1)),
    BadInput("swapped_day_month_invalid", "Day and month swapped into an impossible date", PUPILS, _edit("entry_date", "2019-25-09"), Outcome("loaded", "CON-TYPE", quarantined=1)),
    BadInput("future_date", "An entry date years after the night the file was sent", PUPILS, _edit("entry_date", "2099-09-04"), Outcome("loaded", "DAT-RANGE", quarantined=1)),
    BadInput("dob_after_event", "Born after joining the school", PUPILS, _edit("dob", "2030-01-01"), Outcome("loaded", "DAT-DOB", quarantined=1)),
    BadInput("invalid_code", "An ethnicity code outside the list", PUPILS, _edit("ethnicity", "XXXX"), Outcome("loaded", "CON-CODE", quarantined=1)),
    BadInput("invalid_upn_check_letter", "A UPN whose check letter is wrong", PUPILS, _edit("upn", _upn_bad_check), Outcome("loaded", "FMT-UPN", quarantined=1)),
    BadInput("invalid_nhs_number", "An NHS number failing modulus 11", HEALTH, _edit("nhs_number", _nhs_bad_check), Outcome("loaded", "FMT-NHS", quarantined=1)),
    BadInput("formula_equals", "=HYPERLINK(...) in a name", PUPILS, _edit("surname", '=HYPERLINK("http://evil.example","Click")'), Outcome("loaded", "TXT-FORMULA", quarantined=1)),
    BadInput("formula_plus", "A name starting with +", PUPILS, _edit("forename", "+cmd|' /C calc'!A0"), Outcome("loaded", "TXT-FORMULA", quarantined=1)),
    BadInput("formula_minus", "A name starting with -", PUPILS, _edit("forename", "-2+3+cmd|' /C calc'!A0"), Outcome("loaded", "TXT-FORMULA", quarantined=1)),
    BadInput("formula_at", "A name starting with @", PUPILS, _edit("surname", "@SUM(1+1)*cmd|' /C calc'!A0"), Outcome("loaded", "TXT-FORMULA", quarantined=1)),
    BadInput("sql_looking_value", "A name that looks like SQL: loaded as plain text, harmless", PUPILS, _edit("surname", "O'Brien'); DROP TABLE raw_education.pupils;--"), Outcome("loaded")),
    BadInput("html_in_value", "A name holding a script tag: loaded as text, escaped wherever shown", PUPILS, _edit("forename", "<script>alert(1)</script>"), Outcome("loaded")),
    BadInput("one_megabyte_field", "A 1 MB surname", PUPILS, _edit("surname", "A" * 1_048_576), Outcome("loaded", "TXT-LENGTH", quarantined=1)),
    BadInput("nul_bytes", "A NUL byte inside a row", PUPILS, _insert_nul, Outcome(REJECTED, "FILE-BINARY")),
    BadInput("binary_garbage", "4 KB of binary noise", PUPILS, _garbage, Outcome(REJECTED, "FILE-BINARY")),
    BadInput("row_spike_10x", "Ten times the usual rows", PUPILS, _repeat_body(10), Outcome(REJECTED, "FILE-VOLUME")),
    BadInput("row_drop_90_percent", "A tenth of the usual rows", PUPILS, _keep_rows(0.1), Outcome(REJECTED, "FILE-VOLUME")),
    BadInput("duplicate_row", "The first row sent twice", PUPILS, _duplicate_row, Outcome("loaded", "DUP-ROW", quarantined=1)),
    BadInput("same_file_twice", "Last night's file delivered again: skipped", PUPILS, lambda raw: raw, Outcome("skipped"),
             from_previous_night=True, keep_name=True),
    BadInput("same_content_other_name", "Last night's crimes under tonight's name", CRIMES, lambda raw: raw, Outcome(REJECTED, "FILE-DUPLICATE"),
             from_previous_night=True),
    BadInput("objection_upheld", "A pupil on the opt-out register", PUPILS, lambda raw: raw, Outcome("loaded", "GDPR-OBJECTION", excluded=None),
             opt_out_row_1=True),
    BadInput("older_than_25", "A person aged over 25 when arrested", ARRESTS, _edit("dob", "1970-05-05"), Outcome("loaded", "GDPR-AGE", excluded=1)),
    BadInput("outside_borough", "A mental-health referral for someone living outside the borough", HEALTH, _edit("postcode", "NW5 1AB"), Outcome("loaded", "GDPR-BOROUGH", excluded=1)),
    BadInput("past_retention", "A crime older than the retention period", CRIMES, _edit("committed_date", "1999-01-01"), Outcome("loaded", "GDPR-RETENTION", excluded=1)),
)
