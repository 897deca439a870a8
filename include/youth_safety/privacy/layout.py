"""What the warehouse may hold of each extract: its pseudonymised layout, from the contract.

Every direct identifier is treated before anything is written to the warehouse file:

| contract field                                | warehouse column(s)                              |
|-----------------------------------------------|--------------------------------------------------|
| UPN, NHS number, PNC id, agency or staff id   | same name, an HMAC token (``upn:3fa9...``)       |
| linked identifier                             | same name, a token under its type's role         |
| forename, surname                             | none (vault only)                                |
| date of birth ``x``                           | ``x`` renamed ``..birth_year_month`` (YYYY-MM), and ``age_at_<record date>`` |
| postcode ``x``                                | ``x_district`` (outward code) and ``x_lsoa``     |

Everything else is kept as received. Tokens of one role are equal across sources, so
analysts can join on them; only the vault can turn them back into identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from youth_safety.contracts import Contract, Field

TOKEN_KINDS = ("upn", "nhs_number", "pnc_id")
DROPPED = ("forename", "surname")
# Linked identifier type -> (token role, normalisation kind). Types sharing a role with a
# person-bearing extract (UPN, NHS, PNC, YOT) link deterministically to it.
LINKED_ROLES = {
    "UPN": ("upn", "upn"),
    "FORMER_UPN": ("upn", "upn"),
    "NHS": ("nhs_number", "nhs_number"),
    "PNC": ("pnc_id", "pnc_id"),
    "YOT": ("yot_id", "agency_id"),
    "NINO": ("nino", "linked_identifier"),
    "CASE": ("court_case_number", "linked_identifier"),
}
UNKNOWN_LINKED_ROLE = ("linked_identifier", "linked_identifier")


@dataclass(frozen=True)
class WarehouseColumn:
    name: str
    source_field: str  # the contract field it is made from
    treatment: str  # keep | token | linked_token | birth_year_month | age | postcode_district | postcode_lsoa
    privacy: str  # pseudonym | quasi_identifier | special_category | none
    description: str
    type: str = "string"
    codes: str | None = None


def token_role(field: Field) -> tuple[str, str]:
    """(role, normalisation kind) a tokenised field's values are hashed under."""
    if field.identifies in TOKEN_KINDS:
        return field.identifies, field.identifies
    if field.identifies == "agency_id":
        return field.id_namespace, "agency_id"
    return field.name, "agency_id"  # staff numbers and other direct identifiers


def token_kind(role: str) -> str:
    """The normalisation kind of a token role, to re-make a token from the vault's value."""
    if role in TOKEN_KINDS:
        return role
    return dict([*LINKED_ROLES.values(), UNKNOWN_LINKED_ROLE]).get(role, "agency_id")


def _birth_name(field: Field) -> str:
    return field.name.replace("dob", "birth_year_month") if "dob" in field.name else f"{field.name}_year_month"


def _columns_of(contract: Contract, field: Field) -> list[WarehouseColumn]:
    if field.privacy != "direct_identifier":
        return [WarehouseColumn(field.name, field.name, "keep", field.privacy, field.description, field.type, field.codes)]
    if field.identifies in DROPPED:
        return []
    if field.identifies == "linked_identifier":
        return [WarehouseColumn(field.name, field.name, "linked_token", "pseudonym", f"{field.description} (token under its type's role)")]
    if field.identifies == "dob":
        columns = [WarehouseColumn(_birth_name(field), field.name, "birth_year_month", "quasi_identifier", "Year and month of birth (YYYY-MM)")]
        if contract.record_date:
            columns.append(WarehouseColumn(f"age_at_{contract.record_date}", field.name, "age", "quasi_identifier",
                                           f"Age in whole years on {contract.record_date}, from the full date of birth", "integer"))
        return columns
    if field.identifies == "postcode":
        return [
            WarehouseColumn(f"{field.name}_district", field.name, "postcode_district", "quasi_identifier", "Postcode district (outward code)"),
            WarehouseColumn(f"{field.name}_lsoa", field.name, "postcode_lsoa", "quasi_identifier",
                            "LSOA of the postcode from the borough's postcode lookup; null outside the borough"),
        ]
    role, _ = token_role(field)
    return [WarehouseColumn(field.name, field.name, "token", "pseudonym", f"{field.description} (token, role {role})")]


@cache
def warehouse_columns(contract: Contract) -> tuple[WarehouseColumn, ...]:
    """The columns of ``raw_<source>.<extract>``, in contract order."""
    return tuple(column for field in contract.fields for column in _columns_of(contract, field))


def person_bearing(contract: Contract) -> bool:
    """Extracts that carry a person's names: each row describes an agency person record."""
    return any(f.identifies == "forename" for f in contract.fields)


def person_reference(contract: Contract) -> Field | None:
    """The field naming the agency person record a row is about, if the extract has one.

    An agency id where the extract carries one; otherwise, for person-bearing extracts
    (police and health records each naming a person), the record's own key.
    """
    agency = next((f for f in contract.fields if f.identifies == "agency_id"), None)
    if agency:
        return agency
    if person_bearing(contract) and len(contract.primary_key) == 1:
        return contract.field(contract.primary_key[0])
    return None


def entity(field: Field) -> str:
    """The kind of agency person record a reference field names (pupil_id, yot_id, ...)."""
    return field.id_namespace if field.identifies == "agency_id" else field.name


@dataclass(frozen=True)
class ParentLink:
    """A row's link to the row of another extract it belongs to (whose key and date it shares)."""

    column: str  # in this extract
    parent: str  # source.extract
    parent_key: str  # the parent's key column ``column`` holds values of


# Rows whose meaning hangs off another extract's row: assessment factors name no person and
# no date (their assessment has both); an involvement has no date of its own (its crime has).
PARENT_LINKS = {
    "social_care.ssd_assessment_factors": ParentLink("cinf_assessment_id", "social_care.ssd_cin_assessments", "cina_assessment_id"),
    "police.involvements": ParentLink("crime_ref", "police.crimes", "crime_ref"),
}
PERSON_IDENTIFIERS = ("agency_id", *TOKEN_KINDS)


@dataclass(frozen=True)
class IdentifierColumn:
    """A column naming a person or their record, the role its values are known under, and
    whether the warehouse holds them as tokens (else as received)."""

    name: str
    role: str
    tokenised: bool


@cache
def identifier_columns(contract: Contract) -> tuple[IdentifierColumn, ...]:
    """Every column of an extract that names a person (agency ids, UPN, NHS number, PNC id),
    the plain key of a police or health person record, and, in an extract naming no
    person, the key of the parent row it hangs off. Linked identifiers take the role of
    their type row by row, so they are not listed (``linked_identifier_field``)."""
    found = [IdentifierColumn(f.name, token_role(f)[0], True) for f in contract.fields if f.identifies in PERSON_IDENTIFIERS]
    reference = person_reference(contract)
    if reference and reference.privacy != "direct_identifier":
        found.append(IdentifierColumn(reference.name, entity(reference), False))
    link = PARENT_LINKS.get(contract.name)
    if link and not reference:
        found.append(IdentifierColumn(link.column, link.parent_key, False))
    return tuple(found)


def linked_identifier_field(contract: Contract) -> Field | None:
    """The field holding identifiers of several kinds (its type says which), if the extract has one."""
    return next((f for f in contract.fields if f.identifies == "linked_identifier"), None)
