"""Deterministic evidence: shared identifiers join records; differing ones keep people apart.

Records holding the same (role, value) for a UPN, NHS number, PNC id or YOT id are one
person. Edges are drawn as a star from the lowest record id of each value, which joins the
same records as every pair would, in linear size. A person has one NHS number, one PNC id
and one YOT id (a UPN can be replaced, so a former UPN is not a conflict): two records
holding different values of those are evidence against a match.
"""

from __future__ import annotations

import duckdb
import pandas as pd

LINK_ROLES = ("upn", "nhs_number", "pnc_id", "yot_id")
ONE_PER_PERSON = ("nhs_number", "pnc_id", "yot_id")

CURRENT_IDENTIFIERS = """
    select k.record_id, i.role, i.value
    from record_identifiers i
    join link_records k using (source, entity, record_key)
    semi join person_records p using (source, entity, record_key)
    where i.role in ({roles}) and i.value <> ''
"""


def _roles(roles: tuple[str, ...]) -> str:
    return ", ".join(f"'{role}'" for role in roles)


def deterministic_edges(vault: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Star edges (record_id_l < record_id_r) between records sharing a linking identifier."""
    return vault.execute(f"""
        with ids as ({CURRENT_IDENTIFIERS.format(roles=_roles(LINK_ROLES))}),
        anchors as (select role, value, min(record_id) as anchor from ids group by all)
        select distinct a.anchor as record_id_l, i.record_id as record_id_r
        from ids i join anchors a using (role, value)
        where i.record_id <> a.anchor
        order by all
    """).df()


def identifiers_held(vault: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(record_id, role, value) for the identifiers a person holds only one of."""
    return vault.execute(
        CURRENT_IDENTIFIERS.format(roles=_roles(ONE_PER_PERSON)) + " order by all"
    ).df()
