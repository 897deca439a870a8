"""File rules: read a landed file safely, or refuse it whole with the rule that failed.

A file is refused (``FileRejected``) when it cannot be read as the contract's CSV: empty,
binary, not UTF-8, another delimiter, required columns missing or renamed, cut short or
ragged, header-only where rows are always expected, a volume far off recent nights, or
content already delivered under another name. Columns not in the contract are dropped
here and named (GDPR minimisation); their values are never read into the warehouse.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from youth_safety.contracts import Contract
from youth_safety.quality.policy import VolumeThreshold

OTHER_DELIMITERS = (";", "\t", "|")
CONTROL_CHARACTER = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, newline and carriage return are fine
BLOCK_BYTES = 32 * 1024 * 1024  # larger than any row: an oversized field is quarantined with its row, not fatal


class FileRejected(Exception):
    """The whole file is refused under a FILE-* rule; ``detail`` never quotes a value."""

    def __init__(self, rule_code: str, detail: str) -> None:
        super().__init__(f"{rule_code}: {detail}")
        self.rule_code = rule_code
        self.detail = detail


@dataclass(frozen=True)
class ParsedFile:
    """The contract's columns as text (None for empty), with source row numbers."""

    frame: pd.DataFrame
    dropped_columns: tuple[str, ...]


def decode(raw: bytes) -> str:
    """Text of the file, refusing empty, binary and non-UTF-8 content (a BOM is accepted)."""
    if not raw:
        raise FileRejected("FILE-EMPTY", "the file has no bytes")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise FileRejected("FILE-BINARY", f"NUL byte at offset {nul}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected("FILE-ENCODING", f"invalid UTF-8 at byte {exc.start}") from None
    control = CONTROL_CHARACTER.search(text)
    if control:
        raise FileRejected("FILE-BINARY", f"control character {ord(control.group()):#04x} at character {control.start()}")
    return text


def _header(text: str) -> list[str]:
    return [h.strip() for h in next(csv.reader([text.split("\n", 1)[0].rstrip("\r")]), [])]


def _first_ragged_row(text: str, width: int) -> int:
    """Data row number (1 = first after the header) of the first row of the wrong width."""
    rows = csv.reader(io.StringIO(text, newline=""))
    next(rows)
    return next(number for number, row in enumerate(rows, start=1) if len(row) != width)


def _read_body(text: str, header: list[str]) -> pd.DataFrame:
    """Every row as text (None for empty), refusing ragged rows by their row number."""
    ragged: list[int] = []

    def note(row: pacsv.InvalidRow) -> str:
        ragged.append(row.number)
        return "skip"

    table = pacsv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=note),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    if ragged:
        raise FileRejected("FILE-TRUNCATED", f"{len(ragged)} row(s) with the wrong number of fields, the first is data row {_first_ragged_row(text, len(header))}")
    columns = {name: pc.if_else(pc.equal(table[name], ""), pa.scalar(None, pa.string()), table[name]) for name in header}
    frame = pa.table(columns).to_pandas()
    return frame.astype(object).where(frame.notna(), None)


def parse(text: str, contract: Contract, header_only_allowed: bool) -> ParsedFile:
    """Split the CSV and check its shape against the contract."""
    if not text.endswith("\n"):
        raise FileRejected("FILE-TRUNCATED", "the last line is not terminated (file cut short?)")
    header = _header(text)
    if len(header) == 1 and any(d in header[0] for d in OTHER_DELIMITERS):
        used = next(d for d in OTHER_DELIMITERS if d in header[0])
        raise FileRejected("FILE-DELIMITER", f"header is separated by {used!r}, not ','")
    required = [f.name for f in contract.fields if f.required]
    if missing := [c for c in required if c not in header]:
        raise FileRejected("FILE-COLUMNS", f"required column(s) missing or renamed: {', '.join(missing)}")
    if len(set(header)) != len(header):
        raise FileRejected("FILE-COLUMNS", "a column name appears twice in the header")
    body = _read_body(text, header)
    if body.empty and not header_only_allowed:
        raise FileRejected("FILE-HEADER-ONLY", f"{contract.name} always has rows")
    frame = body.reindex(columns=contract.columns)
    if absent := [c for c in contract.columns if c not in body.columns]:
        frame[absent] = frame[absent].astype(object).where(False, None)
    frame["_source_row_number"] = range(1, len(frame) + 1)
    return ParsedFile(frame, tuple(c for c in header if c not in contract.columns))


def check_volume(rows: int, recent: list[int], threshold: VolumeThreshold) -> None:
    """Refuse a row count far from the median of recent nightly files of the extract."""
    recent = recent[-threshold.recent_nights:]
    if len(recent) < threshold.min_history:
        return
    median = statistics.median(recent)
    if median < threshold.min_median_rows:
        return
    if rows < threshold.drop_below * median or rows > threshold.spike_above * median:
        raise FileRejected("FILE-VOLUME", f"{rows} rows against a median of {median:g} over the last {len(recent)} nights "
                                          f"(allowed {threshold.drop_below:g}x to {threshold.spike_above:g}x)")
