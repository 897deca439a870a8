"""The catalogue of quality and GDPR rules: each has a code, a kind, a severity and a message.

Like the DfE validators (csc-validator-be-cin / -903), a rule is identified by a short
code and explains itself in one sentence. Kinds:

- ``file``: judged on the file as a whole; ``reject`` refuses the whole file;
- ``row``: judged per row; ``quarantine`` holds the row back with its reason;
- ``gdpr``: purpose, scope, retention and objection rules; ``exclude`` keeps the row out
  with its reason (not an error in the data: the partnership may not hold it);
- any rule may be downgraded to ``warn`` in ``gates.yml``: recorded, row still loaded.

Where a rule is checked: file rules in ``quality.file_rules``; row and GDPR row rules run
as Great Expectations expectations built by ``quality.suites``; the column-level GDPR
rules (minimisation, special category) in ``quality.gate``.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("file", "row", "gdpr")
SEVERITIES = ("reject", "quarantine", "exclude", "warn")


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    severity: str
    message: str


_CATALOGUE = (
    # File rules: the whole file is refused and the source's night is not published.
    Rule("FILE-EMPTY", "file", "reject", "The file is empty (no header, no rows)."),
    Rule("FILE-HEADER-ONLY", "file", "reject", "The file has a header but no rows, and this extract always has rows."),
    Rule("FILE-ENCODING", "file", "reject", "The file is not valid UTF-8, so its text cannot be read safely."),
    Rule("FILE-BINARY", "file", "reject", "The file holds NUL or other control bytes: it is not a text extract."),
    Rule("FILE-DELIMITER", "file", "reject", "The header is not comma-separated (another delimiter was used)."),
    Rule("FILE-COLUMNS", "file", "reject", "A required column of the contract is missing or renamed in the header."),
    Rule("FILE-TRUNCATED", "file", "reject", "The file is cut short or ragged: a row has the wrong number of fields or the last line is unterminated."),
    Rule("FILE-VOLUME", "file", "reject", "The row count dropped or spiked beyond the source's threshold against recent nights."),
    Rule("FILE-DUPLICATE", "file", "reject", "The same content was already delivered under another file name."),
    # Row rules derived from the contract.
    Rule("CON-REQ", "row", "quarantine", "A required value is missing."),
    Rule("CON-TYPE", "row", "quarantine", "The value is not of the contract's type (date as YYYY-MM-DD, whole number, decimal, Y/N, JSON list)."),
    Rule("CON-CODE", "row", "quarantine", "The code is not in the field's code list."),
    Rule("FMT-UPN", "row", "quarantine", "The UPN is not 13 characters with a valid check letter."),
    Rule("FMT-NHS", "row", "quarantine", "The NHS number is not 10 digits with a valid modulus-11 check digit."),
    Rule("FMT-PNC", "row", "quarantine", "The PNC id is not YY/NNNNNNNC with a valid check character."),
    Rule("FMT-POSTCODE", "row", "quarantine", "The postcode is not a full UK postcode."),
    Rule("FMT-LSOA", "row", "quarantine", "The LSOA code is not an English LSOA code (E01 and six digits)."),
    Rule("FMT-ACYEAR", "row", "quarantine", "The academic year is not written as 2023/24."),
    Rule("DAT-RANGE", "row", "quarantine", "The date is implausible: before 1900 or after the night the file was sent."),
    Rule("DAT-DOB", "row", "quarantine", "The date of birth is after an event date in the same record."),
    Rule("TXT-FORMULA", "row", "quarantine", "The text starts with =, +, - or @ and could run as a spreadsheet formula."),
    Rule("TXT-LENGTH", "row", "quarantine", "The value is longer than any field of the contract allows (255 characters)."),
    Rule("DUP-ROW", "row", "quarantine", "The row repeats an earlier row of the same file exactly."),
    Rule("DUP-KEY", "row", "quarantine", "The primary key repeats an earlier row of the same file with different content."),
    # Domain rules, in the spirit of the DfE CIN and SSDA903 validators.
    Rule("CIN-01", "row", "quarantine", "The CIN episode closes before its referral date."),
    Rule("MIS-01", "row", "quarantine", "The missing episode ends before it starts."),
    Rule("CPP-01", "row", "quarantine", "The child protection plan does not end after it starts."),
    Rule("ASF-01", "row", "quarantine", "Assessment factors are recorded on an assessment that is not completed, or not held (never sent, quarantined or excluded)."),
    Rule("ATT-01", "row", "quarantine", "Authorised plus unauthorised absence exceeds the sessions possible."),
    Rule("EXC-01", "row", "quarantine", "The exclusion starts outside the school terms."),
    Rule("YOS-01", "row", "quarantine", "The outcome date is before the offence date."),
    # GDPR rules.
    Rule("GDPR-AGE", "gdpr", "exclude", "The person was older than 25 at the record's date: outside the partnership's purpose."),
    Rule("GDPR-BOROUGH", "gdpr", "exclude", "The person lives outside the borough and this extract is for residents only."),
    Rule("GDPR-RETENTION", "gdpr", "exclude", "The record is older than the source's retention period."),
    Rule("GDPR-OBJECTION", "gdpr", "exclude", "The person is on the opt-out register (objection upheld)."),
    Rule("GDPR-ERASURE", "gdpr", "exclude", "The row carries an identifier of a person whose data was erased (on the vault's suppression list)."),
    Rule("GDPR-MINIMISATION", "gdpr", "exclude", "A column not in the contract arrived; it is never loaded (reported by name only)."),
    Rule("GDPR-SPECIAL", "gdpr", "exclude", "A special-category column arrived from a source with no recorded Article 9 condition; its values are withheld."),
)

CATALOGUE: dict[str, Rule] = {rule.code: rule for rule in _CATALOGUE}


def rule(code: str) -> Rule:
    try:
        return CATALOGUE[code]
    except KeyError:
        raise KeyError(f"no rule {code!r} in the catalogue") from None
