"""Pseudonymisation on arrival: the warehouse file gets tokens and degraded values, the vault the identifiers."""

from __future__ import annotations

import stat
from datetime import date

import pandas as pd
import pytest

from youth_safety.contracts import get_contract
from youth_safety.ingest import load_source
from youth_safety.privacy.keys import SecretKeyError, key_path, load_key
from youth_safety.privacy.pseudonymise import pseudonymise
from youth_safety.privacy.tokens import tokenise
from youth_safety.privacy.vault import connect_vault
from youth_safety.warehouse import connect

KEY = b"pseudonymise-test-key-0123456789"
OTHER_KEY = b"another-key-entirely-0123456789!"
PUPILS = get_contract("education", "pupils")
LINKS = get_contract("social_care", "ssd_linked_identifiers")
ARRESTS = get_contract("police", "arrests")
NIGHT = date(2024, 3, 1)


def frame(contract, rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame([{c: row.get(c) for c in contract.columns} for row in rows], dtype=object)
    out["_source_row_number"] = range(1, len(rows) + 1)
    return out


PUPIL = {"pupil_id": "P0001", "upn": "a123456789012", "former_upn": None, "surname": "Okafor", "forename": "Ada",
         "dob": "2012-03-04", "sex": "F", "postcode": "n1 7ab", "school_urn": "100450", "entry_date": "2023-09-04"}


def test_pupil_rows_carry_tokens_and_degraded_values_only():
    share = pseudonymise(PUPILS, frame(PUPILS, [PUPIL]), KEY)
    row = share.rows.iloc[0]
    assert "forename" not in share.rows and "surname" not in share.rows and "dob" not in share.rows and "postcode" not in share.rows
    assert row["pupil_id"] == tokenise(KEY, "pupil_id", ["P0001"], kind="agency_id")[0]
    assert row["upn"] == tokenise(KEY, "upn", ["A123456789012"])[0]
    assert (row["birth_year_month"], row["postcode_district"], row["postcode_lsoa"]) == ("2012-03", "N1", "E01002700")
    assert row["school_urn"] == "100450" and row["_source_row_number"] == 1
    assert set(zip(share.identifiers["role"], share.identifiers["value"])) == {("pupil_id", "P0001"), ("upn", "A123456789012")}
    record = share.person_records.iloc[0]
    assert (record["entity"], record["forename"], record["surname"], record["dob"], record["postcode"]) == (
        "pupil_id", "Ada", "Okafor", date(2012, 3, 4), "n1 7ab")
    assert record["record_key"] == row["pupil_id"]
    assert set(zip(share.record_identifiers["role"], share.record_identifiers["value"])) == {("upn", "A123456789012"), ("pupil_id", "P0001")}


def test_age_at_the_record_date_is_exact_around_birthdays():
    rows = [{"arrest_id": f"A{i}", "crime_ref": "C1", "arrest_date": on, "offence_code": "001/00", "forename": "Bo",
             "surname": "Li", "dob": "2008-06-15", "sex": "M", "pnc_id": "09/123456A"}
            for i, on in enumerate(["2024-06-14", "2024-06-15", "2025-01-01"])]
    share = pseudonymise(ARRESTS, frame(ARRESTS, rows), KEY)
    assert share.rows["age_at_arrest_date"].tolist() == [15, 16, 16]
    assert share.person_records["record_key"].tolist() == ["A0", "A1", "A2"]  # police records keep their own ids


def test_linked_identifiers_are_tokenised_under_their_type_and_link_to_their_agency():
    rows = [{"link_table_id": str(i), "link_person_id": "S9", "link_identifier_type": kind, "link_identifier_value": value}
            for i, (kind, value) in enumerate([("UPN", "A123456789012"), ("YOT", "Y0042"), ("NINO", "QQ123456C")])]
    share = pseudonymise(LINKS, frame(LINKS, rows), KEY)
    assert share.rows["link_identifier_value"].tolist() == [
        tokenise(KEY, "upn", ["A123456789012"])[0],
        tokenise(KEY, "yot_id", ["Y0042"], kind="agency_id")[0],  # equal to the YOS record's yot_id token
        tokenise(KEY, "nino", ["QQ123456C"], kind="linked_identifier")[0],
    ]
    assert set(share.record_identifiers["record_key"]) == {tokenise(KEY, "pers_person_id", ["S9"], kind="agency_id")[0]}
    assert set(zip(share.record_identifiers["role"], share.record_identifiers["value"])) == {
        ("upn", "A123456789012"), ("yot_id", "Y0042"), ("nino", "QQ123456C")}


def test_a_loaded_night_leaves_no_identifier_in_the_warehouse_file(settings, land):
    land(PUPILS, NIGHT, NIGHT, 3)  # sample values: forename-0, surname-0, ...
    load_source(settings, "education", NIGHT)
    warehouse = settings.warehouse_path.read_bytes()
    for planted in (b"forename-0", b"surname-1", b"pupil_id-2"):
        assert planted not in warehouse
    with connect_vault(settings, read_only=True) as vault:
        assert vault.execute("select count(*) from person_records where forename like 'forename-%'").fetchall() == [(3,)]
        assert vault.execute("select value from identifiers where role = 'pupil_id' order by value").fetchall() == [
            ("pupil_id-0",), ("pupil_id-1",), ("pupil_id-2",)]
    with connect(settings.warehouse_path, read_only=True) as con:
        tokens = {r[0] for r in con.execute("select pupil_id from raw_education.pupils").fetchall()}
    assert tokens == set(tokenise(load_key(settings), "pupil_id", ["pupil_id-0", "pupil_id-1", "pupil_id-2"], kind="agency_id"))


def test_vault_is_private_and_refuses_a_key_its_tokens_were_not_made_under(settings, land):
    land(PUPILS, NIGHT, NIGHT, 1)
    load_source(settings, "education", NIGHT)
    assert stat.S_IMODE(settings.vault_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.vault_path.parent.stat().st_mode) == 0o700
    key_path(settings).write_text(OTHER_KEY.hex())
    with pytest.raises(SecretKeyError, match="tokens were made under key") as raised:
        load_source(settings, "education", NIGHT)
    assert OTHER_KEY.hex() not in str(raised.value)
