"""Keyed tokens for identifiers: normalise by role, then HMAC-SHA256 under the secret key.

A token is ``<role>:`` and the first 128 bits of HMAC-SHA256(key, role + US + normalised
value) in hex. The role in the message keeps roles apart (a UPN and a surname with the same
text get different tokens); the key makes tokens unlinkable to anyone without it. Values
that are missing, or empty once normalised, stay None so blanks never link people.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime

import numpy as np
import pandas as pd

SEPARATOR = "\x1f"
TOKEN_BYTES = 16
NON_DIGIT_RE = re.compile(r"[^0-9]")
TOKEN_PATTERN = r"^[a-z_]+:[0-9a-f]{32}$"  # what every token looks like: <role>:<128-bit hex>
ISO_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _compact_upper(value: str) -> str:
    """Upper-case without any whitespace (UPN, PNC id, linked identifiers)."""
    return "".join(value.split()).upper()


def _digits(value: str) -> str:
    return NON_DIGIT_RE.sub("", value)


def _name(value: str) -> str:
    """Upper-case letters only, accents stripped: 'Zoë  O'Brien' -> 'ZOEOBRIEN'."""
    return "".join(c for c in unicodedata.normalize("NFKD", value.upper()) if c.isalpha())


def _postcode(value: str) -> str:
    """Upper-case with one space before the inward code: 'sw1a1aa' -> 'SW1A 1AA'."""
    compact = _compact_upper(value)
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def _iso_date(value: object) -> str:
    """A date, datetime or YYYY-MM-DD string as YYYY-MM-DD; errors never quote the value."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if not ISO_DATE_RE.match(text):
        raise ValueError("not a YYYY-MM-DD date")
    return date.fromisoformat(text).isoformat()


NORMALISERS: dict[str, Callable[[str], str]] = {
    "agency_id": str.strip,
    "upn": _compact_upper,
    "nhs_number": _digits,
    "pnc_id": _compact_upper,
    "forename": _name,
    "surname": _name,
    "postcode": _postcode,
    "linked_identifier": _compact_upper,
    "sex": lambda value: value.strip().upper(),
}
ROLES = frozenset(NORMALISERS) | {"dob"}


def normalise(role: str, value: object) -> str:
    """The canonical text of one identifier value for its role."""
    return _iso_date(value) if role == "dob" else NORMALISERS[role](str(value))


def tokenise(key: bytes, role: str, values: pd.Series | np.ndarray | list, kind: str | None = None) -> np.ndarray:
    """Tokens for many values of one role, in order; missing values stay None.

    ``kind`` picks the normalisation (default: the role itself), so agency ids of
    different namespaces (``pupil_id``, ``yot_id``) share rules but never tokens.
    Each distinct value is normalised and hashed once. A dob that is not an ISO date
    raises ValueError naming its position, never the value.
    """
    return tokenise_with_text(key, role, values, kind)[0]


def tokenise_with_text(key: bytes, role: str, values: pd.Series | np.ndarray | list, kind: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Tokens and the normalised text each was made from (None where missing)."""
    kind = kind or role
    if kind not in ROLES:
        raise ValueError(f"unknown identifier kind {kind!r}; known: {sorted(ROLES)}")
    mac = hmac.new(key, digestmod=hashlib.sha256)
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    tokens = np.empty(len(uniques) + 1, dtype=object)  # all None; the last slot serves code -1 (missing)
    texts = np.empty(len(uniques) + 1, dtype=object)
    for i, value in enumerate(uniques):
        try:
            texts[i] = normalise(kind, value) or None
        except ValueError:
            position = int(np.flatnonzero(codes == i)[0])
            raise ValueError(f"{role}: value at position {position} cannot be normalised") from None
        if texts[i]:
            h = mac.copy()
            h.update(f"{role}{SEPARATOR}{texts[i]}".encode())
            tokens[i] = f"{role}:{h.digest()[:TOKEN_BYTES].hex()}"
    return tokens[codes], texts[codes]
