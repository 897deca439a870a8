"""The synthetic borough's postcodes, LSOAs and wards.

A council holds the ONS postcode lookup for its area; the synthetic borough has its own,
made once from a fixed seed and committed as the reference seed
``dbt_project/seeds/reference/postcode_lookup.csv`` so the generator and the warehouse
read the same lookup.
"""

from __future__ import annotations

import csv
from functools import cache

import numpy as np

from youth_safety.config import CODES_DIR, REFERENCE_DIR

LOOKUP_PATH = REFERENCE_DIR / "postcode_lookup.csv"
BOROUGH_DISTRICTS = ("N1", "N4", "N5", "N7", "N19", "EC1V", "EC1R")
NEIGHBOUR_DISTRICTS = ("N8", "N15", "N16", "NW1", "NW5", "E8", "WC1H")
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
LSOAS_PER_WARD = 6
UNITS_PER_LSOA = 20


def build_lookup() -> list[dict[str, str]]:
    """Make the borough's postcode lookup (deterministic; independent of any run's seed)."""
    rng = np.random.default_rng(20200401)
    with open(CODES_DIR / "ward.csv", newline="") as fh:
        wards = [row["code"] for row in csv.DictReader(fh)]
    rows, seen = [], set()
    lsoa_serial = 2700
    for ward in wards:
        for _ in range(LSOAS_PER_WARD):
            lsoa = f"E0100{lsoa_serial:04d}"
            lsoa_serial += 1
            district = BOROUGH_DISTRICTS[rng.integers(len(BOROUGH_DISTRICTS))]
            while sum(r["lsoa_code"] == lsoa for r in rows) < UNITS_PER_LSOA:
                unit = f"{district} {rng.integers(10)}{UNIT_LETTERS[rng.integers(20)]}{UNIT_LETTERS[rng.integers(20)]}"
                if unit not in seen:
                    seen.add(unit)
                    rows.append({"postcode": unit, "district": district, "lsoa_code": lsoa, "ward_code": ward})
    return rows


def write_lookup() -> None:
    LOOKUP_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(LOOKUP_PATH, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["postcode", "district", "lsoa_code", "ward_code"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(build_lookup())


@cache
def borough_postcodes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(postcodes, lsoa codes, ward codes) of the borough, from the committed lookup."""
    with open(LOOKUP_PATH, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return (
        np.array([r["postcode"] for r in rows], dtype=object),
        np.array([r["lsoa_code"] for r in rows], dtype=object),
        np.array([r["ward_code"] for r in rows], dtype=object),
    )


def outside_postcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Postcodes in neighbouring boroughs, for pupils who live outside Islington."""
    districts = np.array(NEIGHBOUR_DISTRICTS, dtype=object)[rng.integers(len(NEIGHBOUR_DISTRICTS), size=n)]
    letters = np.array(list(UNIT_LETTERS), dtype=object)
    return districts + " " + rng.integers(10, size=n).astype(str).astype(object) + letters[rng.integers(20, size=n)] + letters[rng.integers(20, size=n)]
