"""The session's nightly runs through Airflow (fixtures ``generated``, ``night_before`` and ``first_run`` in
conftest, so they run once whichever modules use them): a borough of scale 0.05, April 2024 to March
2025, the last 3 nights one folder each, landed in the session's data home; then real
``youth-safety run`` nights over it, the night before END, then END."""

from __future__ import annotations

from datetime import date, timedelta

from youth_safety.config import Settings
from youth_safety.warehouse import connect

START, END = date(2024, 4, 1), date(2025, 3, 31)
NEXT = END + timedelta(days=1)


def person_keys(settings: Settings) -> dict[tuple[str, str, str], str]:
    with connect(settings.warehouse_path, read_only=True) as con:
        rows = con.execute("select source, entity, record_key, person_key from linkage.person_keys").fetchall()
    return {(source, entity, record): person for source, entity, record, person in rows}
