"""Formats of the identifiers the agencies use: make them and check them.

UPN: DfE's 13-character unique pupil number, a check letter then 12 digits
(LA number, establishment, year of allocation, serial). NHS number: 10 digits with a
modulus-11 check digit. PNC id: ``YY/NNNNNNNC``, a check letter over year and serial.
"""

from __future__ import annotations

import re

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
PNC_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][ABD-HJLNP-UW-Z]{2}$")
PNC_RE = re.compile(r"^(\d{2})/(\d{7})([A-Z])$")
LSOA_RE = re.compile(r"^E01\d{6}$")
ACADEMIC_YEAR_RE = re.compile(r"^(\d{4})/(\d{2})$")


def upn_check_letter(digits12: str) -> str:
    total = sum(int(d) * w for d, w in zip(digits12, range(2, 14)))
    return UPN_LETTERS[total % 23]


def make_upn(la: int, establishment: int, year: int, serial: int) -> str:
    digits = f"{la:03d}{establishment:04d}{year % 100:02d}{serial:03d}"
    return upn_check_letter(digits) + digits


def is_valid_upn(value: str) -> bool:
    return (
        len(value) == 13
        and value[1:].isdigit()
        and value[0] == upn_check_letter(value[1:])
    )


def nhs_check_digit(digits9: str) -> int | None:
    """Modulus-11 check digit, or None when the nine digits cannot form a valid number."""
    remainder = sum(int(d) * w for d, w in zip(digits9, range(10, 1, -1))) % 11
    check = 11 - remainder
    if check == 11:
        return 0
    return None if check == 10 else check


def is_valid_nhs_number(value: str) -> bool:
    if len(value) != 10 or not value.isdigit():
        return False
    return nhs_check_digit(value[:9]) == int(value[9])


def pnc_check_letter(year: int, serial: int) -> str:
    return PNC_LETTERS[int(f"{year % 100:02d}{serial:07d}") % 23]


def make_pnc_id(year: int, serial: int) -> str:
    return f"{year % 100:02d}/{serial:07d}{pnc_check_letter(year, serial)}"


def is_valid_pnc_id(value: str) -> bool:
    match = PNC_RE.match(value)
    if not match:
        return False
    year, serial, letter = match.groups()
    return letter == pnc_check_letter(int(year), int(serial))


def is_valid_postcode(value: str) -> bool:
    return bool(POSTCODE_RE.match(value))


def is_valid_lsoa(value: str) -> bool:
    return bool(LSOA_RE.match(value))


def is_valid_academic_year(value: str) -> bool:
    match = ACADEMIC_YEAR_RE.match(value)
    return bool(match) and (int(match.group(1)) + 1) % 100 == int(match.group(2))


FORMAT_CHECKS = {
    "upn": is_valid_upn,
    "nhs_number": is_valid_nhs_number,
    "pnc_id": is_valid_pnc_id,
    "postcode": is_valid_postcode,
    "lsoa": is_valid_lsoa,
    "academic_year": is_valid_academic_year,
}
