"""The erasure suppression list: identifier values that must never load again, as salted digests.

When a person is erased (``privacy.erasure``), every identifier value they were known by
goes into the vault's ``erasure_suppressions`` as (role, digest), where digest =
sha256(salt + role + US + the value normalised for its role): agency ids under their
namespace (pupil_id, pers_person_id, yot_id, tracking_id), UPN, NHS number, PNC id, linked
identifiers, the police and health records' own ids, and the keys of rows that hang off
the person's records (assessment ids, ``layout.PARENT_LINKS``). The salt is random per
vault (``erasure_salt``) and independent of the HMAC key: rotating the key leaves the
list working, and the digests match nothing outside this vault.

The gate hashes each row's identifier values the same way (``Suppressions.matches``) and
excludes a row carrying any listed value under GDPR-ERASURE. An empty list costs nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from youth_safety.contracts import Contract
from youth_safety.privacy.layout import LINKED_ROLES, UNKNOWN_LINKED_ROLE, identifier_columns, linked_identifier_field, token_kind
from youth_safety.privacy.tokens import SEPARATOR, normalise

SUPPRESSION_DDL = (
    """create table if not exists erasure_salt (
        salt varchar not null                  -- hex; one row, made on the first erasure
    )""",
    """create table if not exists erasure_suppressions (
        role varchar not null,                 -- the role the value was known under (upn, pupil_id, involvement_id, ...)
        digest varchar not null,               -- sha256(salt + role + US + normalised value), hex
        primary key (role, digest)
    )""",
)
SALT_BYTES = 32
FRAME = "suppression_frame"


def digests(salt: bytes, role: str, values: pd.Series) -> np.ndarray:
    """Digests of many values of one role, in order; None where a value is missing or empty once normalised."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    out = np.empty(len(uniques) + 1, dtype=object)  # the last slot serves code -1 (missing)
    kind = token_kind(role)
    for i, value in enumerate(uniques):
        text = normalise(kind, value)
        out[i] = hashlib.sha256(salt + f"{role}{SEPARATOR}{text}".encode()).hexdigest() if text else None
    return out[codes]


def _salt(vault: duckdb.DuckDBPyConnection, create: bool) -> bytes | None:
    for ddl in SUPPRESSION_DDL:
        vault.execute(ddl)
    found = vault.execute("select salt from erasure_salt").fetchall()
    if found:
        return bytes.fromhex(found[0][0])
    if not create:
        return None
    salt = secrets.token_bytes(SALT_BYTES)
    vault.execute("insert into erasure_salt values (?)", [salt.hex()])
    return salt


def suppress(vault: duckdb.DuckDBPyConnection, values: pd.DataFrame) -> int:
    """Add identifier values (role, value) to the list; how many (role, digest) pairs are new."""
    salt = _salt(vault, create=True)
    parts = [pd.DataFrame({"role": role, "digest": digests(salt, role, group["value"])}) for role, group in values.groupby("role")]
    frame = pd.concat(parts, ignore_index=True).dropna().drop_duplicates() if parts else pd.DataFrame(columns=["role", "digest"])
    before = vault.execute("select count(*) from erasure_suppressions").fetchall()[0][0]
    vault.register(FRAME, frame)
    try:
        vault.execute(f"insert into erasure_suppressions select role, digest from {FRAME} on conflict do nothing")
    finally:
        vault.unregister(FRAME)
    return vault.execute("select count(*) from erasure_suppressions").fetchall()[0][0] - before


@dataclass(frozen=True)
class Suppressions:
    """The list as the gate uses it: the salt and, per role, the digests to refuse."""

    salt: bytes = b""
    by_role: dict[str, frozenset[str]] | None = None

    @classmethod
    def load(cls, vault: duckdb.DuckDBPyConnection) -> "Suppressions":
        salt = _salt(vault, create=False)
        if salt is None:
            return cls()
        rows = vault.execute("select role, list(digest) from erasure_suppressions group by role").fetchall()
        return cls(salt, {role: frozenset(found) for role, found in rows})

    def __len__(self) -> int:
        return sum(len(found) for found in (self.by_role or {}).values())

    def _values(self, contract: Contract, frame: pd.DataFrame) -> Iterator[tuple[str, pd.Series]]:
        """(role, values) of each identifier column; a linked identifier's values under its type's role."""
        for column in identifier_columns(contract):
            yield column.role, frame[column.name]
        linked = linked_identifier_field(contract)
        if linked:
            types = frame["link_identifier_type"]
            for link_type in types.dropna().unique():
                yield LINKED_ROLES.get(link_type, UNKNOWN_LINKED_ROLE)[0], frame[linked.name].where(types == link_type)

    def matches(self, contract: Contract, frame: pd.DataFrame) -> np.ndarray:
        """Which rows of an extract carry an identifier value of an erased person."""
        hit = np.zeros(len(frame), dtype=bool)
        if not len(self):
            return hit
        for role, values in self._values(contract, frame):
            if role in self.by_role:
                hit |= pd.Series(digests(self.salt, role, values)).isin(self.by_role[role]).to_numpy()
        return hit
