"""Landed files past their stay: out of the landing zone into an owner-only archive, or deleted.

``register.yml`` says how long (``landed_files.keep_days``) and what then
(``landed_files.then``: archive | delete). Only files the loader has judged (loaded or
rejected; ``audit.file_loads``) move: a blocked or unjudged file stays for the loader. The
loader looks in the landing zone only and knows a file by its load id (extract, night,
bytes), so an archived file is neither new nor missing to it, and the same file sent
again is still skipped. Archived files keep their place (``<home>/archive/<source>/
<delivery night>/<file>``; folders 0700, files 0600) and are deleted once their extract
night is past the source's retention. Every move is recorded in ``audit.landed_file_moves``.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from youth_safety.config import SOURCES, Settings
from youth_safety.governance.register import landed_files_policy
from youth_safety.ingest.discover import FILE_NAME, landed_files

MOVES_DDL = """create table if not exists audit.landed_file_moves (
    night date not null,                   -- the purge night
    moved_at timestamp not null,           -- UTC
    file_name varchar not null,            -- <source>/<delivery night>/<file>
    load_id varchar,                       -- as audit.file_loads knows the file
    action varchar not null                -- archived | deleted | expired (deleted from the archive)
)"""
ACTION_RELATIONS = {"archived": "files archived", "deleted": "files deleted", "expired": "archived files expired"}


def _private_dir(path: Path) -> None:
    for folder in reversed([path, *path.parents]):
        if folder.exists():
            continue
        folder.mkdir()
        os.chmod(folder, 0o700)


def _remove_empty(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _record(con: duckdb.DuckDBPyConnection, night: date, name: str, load_id: str | None, action: str) -> None:
    con.execute("insert into audit.landed_file_moves values (?, ?, ?, ?, ?)",
                [night, datetime.now(UTC).replace(tzinfo=None), name, load_id, action])


def _leave_landing(settings: Settings, con: duckdb.DuckDBPyConnection, night: date) -> dict[str, int]:
    policy = landed_files_policy()
    judged = {r[0] for r in con.execute("select load_id from audit.file_loads where status in ('loaded', 'rejected')").fetchall()}
    counts = {"archived": 0, "deleted": 0}
    action = "archived" if policy.then == "archive" else "deleted"
    for source in SOURCES:
        for landed in landed_files(settings, source, night - timedelta(days=policy.keep_days + 1)):
            if landed.load_id not in judged:
                continue
            if action == "archived":
                target = settings.archive_dir / landed.name
                _private_dir(target.parent)
                os.replace(landed.path, target)
                os.chmod(target, 0o600)
            else:
                landed.path.unlink()
            _record(con, night, landed.name, landed.load_id, action)
            counts[action] += 1
            _remove_empty(landed.path.parent, settings.landing_dir)
    return counts


def _expire_archive(settings: Settings, con: duckdb.DuckDBPyConnection, night: date, cutoff: dict[str, date]) -> int:
    """Delete archived files whose extract night is past their source's retention."""
    expired = 0
    for path in sorted(settings.archive_dir.glob("*/*/*.csv")):
        match = FILE_NAME.match(path.name)
        source = path.parent.parent.name
        if match and source in cutoff and datetime.strptime(match["night"], "%Y%m%d").date() < cutoff[source]:
            path.unlink()
            _record(con, night, str(path.relative_to(settings.archive_dir)), None, "expired")
            expired += 1
            _remove_empty(path.parent, settings.archive_dir)
    return expired


def move_landed_files(settings: Settings, con: duckdb.DuckDBPyConnection, night: date,
                      cutoff: dict[str, date]) -> list[tuple[str, str, int]]:
    """Move judged files out of the landing zone and expire old archived ones; (layer, relation, files)."""
    con.execute(MOVES_DDL)
    counts = _leave_landing(settings, con, night) | {"expired": _expire_archive(settings, con, night, cutoff)}
    return [("landing", ACTION_RELATIONS[action], n) for action, n in counts.items()]
