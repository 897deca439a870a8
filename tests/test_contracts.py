"""The extract contracts, their code lists and identifier formats."""

from __future__ import annotations

import csv
import re

import pytest

from youth_safety.config import CODES_DIR, REPO_ROOT, SOURCES
from youth_safety.contracts import ContractError, all_contracts, load_contract
from youth_safety.identifiers import is_valid_nhs_number, is_valid_pnc_id, is_valid_postcode, is_valid_upn, make_pnc_id, make_upn


def test_every_source_has_contracts_and_keys_are_required():
    contracts = all_contracts()
    assert {c.source for c in contracts} == set(SOURCES)
    assert len(contracts) == 22
    for contract in contracts:
        for key in contract.primary_key:
            assert contract.field(key).required, (contract.name, key)


def test_direct_identifiers_are_classed_as_such():
    names = {"upn", "nhs_number", "pnc_id", "forename", "surname", "dob", "postcode", "agency_id"}
    for contract in all_contracts():
        for f in contract.fields:
            if f.identifies in names:
                assert f.privacy in ("direct_identifier", "quasi_identifier"), (contract.name, f.name)
            if f.identifies in names - {"sex"}:
                assert f.privacy == "direct_identifier", (contract.name, f.name)


def test_code_lists_have_unique_codes():
    for path in CODES_DIR.glob("*.csv"):
        with open(path, newline="") as fh:
            codes = [row["code"] for row in csv.DictReader(fh)]
        assert codes and len(codes) == len(set(codes)), path.name


def test_a_malformed_contract_is_refused(tmp_path):
    folder = tmp_path / "education"
    folder.mkdir()
    bad = folder / "pupils.yml"
    bad.write_text(
        "source: education\nextract: pupils\ntitle: t\nsystem: s\ndelivery: weekly\nprimary_key: [x]\n"
        "fields:\n  - {name: x, type: string, required: true, privacy: none, description: d}\n"
    )
    with pytest.raises(ContractError, match="unknown delivery mode 'weekly'"):
        load_contract(bad)
    bad.write_text(bad.read_text().replace("weekly", "delta").replace("privacy: none", "privacy: secret"))
    with pytest.raises(ContractError, match="unknown privacy class 'secret'"):
        load_contract(bad)


def test_identifier_formats():
    upn = make_upn(206, 2001, 16, 5)
    assert is_valid_upn(upn) and not is_valid_upn(("A" if upn[0] != "A" else "B") + upn[1:])
    assert is_valid_nhs_number("9434765919") and not is_valid_nhs_number("9434765918")
    pnc = make_pnc_id(2009, 123456)
    assert pnc == "09/0123456C" and is_valid_pnc_id(pnc) and not is_valid_pnc_id("09/0123456D")
    assert is_valid_postcode("N7 8AB") and is_valid_postcode("EC1V 2PD") and not is_valid_postcode("N7 8AI")


def test_readme_lists_every_extract_with_its_delivery_mode():
    readme = (REPO_ROOT / "README.md").read_text()
    for contract in all_contracts():
        mode = contract.delivery.replace("_", " ")
        row = re.search(rf"^\| {contract.source} \| {contract.extract} \| ([^|]+)\|", readme, re.MULTILINE)
        assert row and row.group(1).strip().startswith(mode), contract.name
