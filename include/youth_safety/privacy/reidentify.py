"""Re-identification, audited: the one way from a person key back to a child.

``reidentify`` records the request in the vault's ``reidentification_log`` (when, who,
which key, why) and commits it before looking anything up; then it returns, for each
agency person record under the key, the agency's own id, the names, date of birth, sex
and postcode the agency holds and the shared identifiers (UPN, NHS number, PNC id ...),
and records how many records it returned. A key retired by a merge is followed to the
key holding its records now (the key asked for is what is audited). An unknown key is
audited as 0 records and refused.

Nothing else in the code joins the vault's identifiers to person keys for output:
erasure and retention read them to find records and report counts only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

from youth_safety.config import Settings
from youth_safety.privacy.person_keys import Resolution, resolve
from youth_safety.privacy.requests import RequestRefused, checked_reason, current_operator
from youth_safety.privacy.vault import connect_vault

LOG_DDL = """create table if not exists reidentification_log (
    request_id varchar not null primary key,
    requested_at timestamp not null,       -- UTC
    operator varchar not null,
    person_key varchar not null,           -- as asked for (a retired key is logged as asked)
    reason varchar not null,
    records_returned integer               -- null until the answer is complete (a failed lookup stays null)
)"""


class UnknownPersonKey(LookupError):
    """No person holds the key (never given, or retired with no survivor)."""


@dataclass(frozen=True)
class AgencyRecord:
    """One agency's record of the person, as the agency sent it."""

    source: str
    entity: str  # pupil_id | pers_person_id | yot_id | tracking_id | involvement_id | ...
    agency_id: str  # the agency's own id of the record
    forename: str | None
    surname: str | None
    dob: date | None
    sex: str | None
    postcode: str | None
    identifiers: tuple[tuple[str, str], ...]  # shared identifiers (role, value): upn, nhs_number, pnc_id ...


@dataclass(frozen=True)
class Reidentification:
    request_id: str
    operator: str
    resolution: Resolution
    records: tuple[AgencyRecord, ...]


def _records(vault: duckdb.DuckDBPyConnection, person_key: str) -> tuple[AgencyRecord, ...]:
    rows = vault.execute("""
        select k.source, k.entity, coalesce(i.value, k.record_key), r.forename, r.surname, r.dob, r.sex, r.postcode,
               (select list([s.role, s.value] order by s.role, s.value) from record_identifiers s
                where s.source = k.source and s.entity = k.entity and s.record_key = k.record_key and s.role <> k.entity)
        from person_keys k
        left join person_records r using (source, entity, record_key)
        left join identifiers i on i.role = k.entity and i.token = k.record_key
        where k.person_key = ?
        order by 1, 2, 3""", [person_key]).fetchall()
    return tuple(AgencyRecord(*row[:8], tuple(tuple(pair) for pair in row[8] or ())) for row in rows)


def reidentify(settings: Settings, person_key: str, reason: str | None) -> Reidentification:
    """The person behind a key, after the request is audited; UnknownPersonKey (audited) if none."""
    reason = checked_reason(reason)
    asked = (person_key or "").strip()
    if not asked:
        raise RequestRefused("a person key is required")
    if not settings.vault_path.exists():
        raise FileNotFoundError(f"no identity vault at {settings.vault_path}; nothing has been loaded yet")
    operator, request_id = current_operator(), uuid.uuid4().hex
    with connect_vault(settings) as vault:
        vault.execute(LOG_DDL)
        vault.execute("insert into reidentification_log values (?, ?, ?, ?, ?, null)",
                      [request_id, datetime.now(UTC).replace(tzinfo=None), operator, asked, reason])
        resolution = resolve(vault, asked)
        records = _records(vault, resolution.current) if resolution.current else ()
        vault.execute("update reidentification_log set records_returned = ? where request_id = ?", [len(records), request_id])
    if resolution.current is None:
        gone = f" (retired on {resolution.retired_on}, its records gone)" if resolution.retired_on else ""
        raise UnknownPersonKey(f"no person holds key {asked}{gone}; the request is audited as {request_id}")
    return Reidentification(request_id, operator, resolution, records)
