"""Atomic publish: a build writes a working copy; only a finished build is swapped in as the published file.

Analysts (and every reader) open the published file, ``warehouse/partnership.duckdb``,
read-only. A build (the nightly run, the retention purge, an erasure) never writes it:
``prepare`` copies it to ``warehouse/work/partnership.duckdb`` and records who builds and
from which published version (``work/build.json``); the build's tasks write the working copy
(``Settings.in_build()``); ``publish`` checkpoints it and renames it over the published
file, an atomic step on one filesystem, after hard-linking the outgoing version to
``warehouse/previous/``. A reader connected during the build keeps reading the version it
opened, whole; the next connection opens the new one. A build that dies leaves the
published file untouched, and the next night's ``prepare`` starts again from it.

``publish`` refuses when the published file changed since ``prepare`` (a write outside the
build, e.g. a practitioner's review outcome), so nothing written there is lost: re-run
the build. ``rollback`` swaps the published and previous versions (run it again to undo).
Every publish and rollback is appended to ``warehouse/publish_log.jsonl``.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from youth_safety.config import NIGHTLY_DAG_ID, Settings

NIGHTLY_OWNER_PREFIX = f"{NIGHTLY_DAG_ID}/"


class PublishError(RuntimeError):
    """The working copy cannot be prepared or published; the published warehouse is unchanged."""


@dataclass(frozen=True)
class Fingerprint:
    """Identity of one version of the published file (inode, size, modification time, pending WAL)."""

    inode: int
    size: int
    mtime_ns: int
    wal_size: int

    @classmethod
    def of(cls, path: Path) -> "Fingerprint | None":
        if not path.exists():
            return None
        stat, wal = path.stat(), _wal(path)
        return cls(stat.st_ino, stat.st_size, stat.st_mtime_ns, wal.stat().st_size if wal.exists() else 0)


@dataclass(frozen=True)
class Build:
    """Who holds the working copy, since when, and the published version it started from."""

    owner: str
    started_at: str
    base: Fingerprint | None

    @classmethod
    def read(cls, settings: Settings) -> "Build | None":
        path = _marker(settings)
        if not path.exists():
            return None
        found = json.loads(path.read_text())
        return cls(found["owner"], found["started_at"], Fingerprint(**found["base"]) if found["base"] else None)


@dataclass(frozen=True)
class Published:
    action: str  # publish | rollback
    owner: str
    at: str
    tables: int
    rows: int
    previous_kept: bool


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _marker(settings: Settings) -> Path:
    return settings.working_warehouse_path.parent / "build.json"


def _log(settings: Settings, done: Published) -> None:
    with open(settings.publish_log_path, "a") as log:
        log.write(json.dumps(asdict(done)) + "\n")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def held_by(settings: Settings, owner: str) -> bool:
    """Whether ``owner`` holds the working copy (a build of theirs that has not published)."""
    held = Build.read(settings)
    return held is not None and held.owner == owner


def working_settings(settings: Settings, owner: str) -> Settings:
    """Settings for a step of ``owner``'s build (the working copy); refuses when ``owner`` does not hold it
    (its prepare failed, or another build took over), so no step writes a copy it does not own."""
    if not held_by(settings, owner):
        held = Build.read(settings)
        raise PublishError(f"{owner} does not hold the working copy ({held.owner if held else 'nobody'} does): "
                           "its prepare step failed or another build took over")
    return settings.in_build()


def _may_take_over(held: Build, owner: str) -> bool:
    """A build may take the working copy from itself (a retried task) or, for a nightly run, from an earlier
    nightly run (max_active_runs=1: that run is over, it died before publishing)."""
    return held.owner == owner or (held.owner.startswith(NIGHTLY_OWNER_PREFIX) and owner.startswith(NIGHTLY_OWNER_PREFIX))


def prepare(settings: Settings, owner: str) -> Build:
    """Start a build: copy the published file (with any pending WAL) to the working copy and record the owner.

    A shared lock on the published file (a read-only connection) is held while copying, so no
    writer is halfway through it; a writer holding it makes this fail with DuckDB's lock error.
    """
    held = Build.read(settings)
    if held and not _may_take_over(held, owner):
        raise PublishError(f"the working copy is held by {held.owner} (since {held.started_at}); "
                           f"wait for it to publish, or re-run it if it died")
    published, working = settings.published_warehouse_path, settings.working_warehouse_path
    working.parent.mkdir(parents=True, exist_ok=True)
    for stale in (working, _wal(working)):
        stale.unlink(missing_ok=True)
    base = None
    if published.exists():
        reader = duckdb.connect(str(published), read_only=True)
        try:
            base = Fingerprint.of(published)
            shutil.copyfile(published, working)
            if _wal(published).exists():
                shutil.copyfile(_wal(published), _wal(working))
        finally:
            reader.close()
    build = Build(owner, _now(), base)
    _marker(settings).write_text(json.dumps(asdict(build)))
    return build


def _tables_and_rows(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    found = con.execute("""select count(*), coalesce(sum(estimated_size), 0)::bigint from duckdb_tables()
                           where not internal and database_name = current_database()""").fetchall()
    return found[0]


def _count(working: Path) -> tuple[int, int]:
    """Checkpoint the working copy (so the file alone is complete) and count its tables and rows."""
    con = duckdb.connect(str(working))
    try:
        con.execute("checkpoint")
        counted = _tables_and_rows(con)
    finally:
        con.close()
    if _wal(working).exists():
        raise PublishError(f"{working}: a write-ahead log remains after the checkpoint; not published")
    return counted


def publish(settings: Settings, owner: str) -> Published:
    """Swap the finished working copy in as the published file, keeping the outgoing version as the previous one."""
    held = Build.read(settings)
    working, published, previous = settings.working_warehouse_path, settings.published_warehouse_path, settings.previous_warehouse_path
    if held is None or held.owner != owner:
        raise PublishError(f"{owner} does not hold the working copy ({held.owner if held else 'nobody'} does); nothing published")
    if not working.exists():
        raise PublishError(f"no working copy at {working}; nothing published")
    if Fingerprint.of(published) != held.base:
        raise PublishError(f"{published} changed after {owner} copied it (a write outside the build); nothing published: "
                           "run the build again so that write is kept")
    tables, rows = _count(working)
    kept = published.exists()
    if kept:
        previous.parent.mkdir(parents=True, exist_ok=True)
        staged = previous.with_name(previous.name + ".new")
        staged.unlink(missing_ok=True)
        os.link(published, staged)  # the outgoing version, without copying it
        os.replace(staged, previous)
        _wal(previous).unlink(missing_ok=True)
        if _wal(published).exists():
            os.replace(_wal(published), _wal(previous))
    os.replace(working, published)  # the atomic step: readers open the old file or the new one, never a mix
    _fsync_dir(published.parent)
    _marker(settings).unlink()
    done = Published("publish", owner, _now(), tables, rows, kept)
    _log(settings, done)
    return done


def rollback(settings: Settings, owner: str = "rollback") -> Published:
    """Swap the published and previous versions (atomically for readers); a second rollback undoes the first."""
    published, previous = settings.published_warehouse_path, settings.previous_warehouse_path
    held = Build.read(settings)
    if held:
        raise PublishError(f"a build holds the working copy ({held.owner}, since {held.started_at}); "
                           "roll back once it has published or been re-run")
    if not previous.exists():
        raise PublishError(f"no previous version at {previous} to roll back to")
    if not published.exists():
        raise PublishError(f"no published warehouse at {published}")
    if _wal(published).exists() or _wal(previous).exists():
        raise PublishError(f"{published} or {previous} has a pending write-ahead log (is something writing it?); not rolled back")
    staged = published.with_name(published.name + ".rolled-back")
    staged.unlink(missing_ok=True)
    os.link(published, staged)
    os.replace(previous, published)
    os.replace(staged, previous)
    _fsync_dir(published.parent)
    _fsync_dir(previous.parent)
    con = duckdb.connect(str(published), read_only=True)
    try:
        tables, rows = _tables_and_rows(con)
    finally:
        con.close()
    done = Published("rollback", owner, _now(), tables, rows, True)
    _log(settings, done)
    return done


def history(settings: Settings, last: int = 10) -> list[Published]:
    """The last publishes and rollbacks, newest last."""
    if not settings.publish_log_path.exists():
        return []
    lines = settings.publish_log_path.read_text().splitlines()[-last:]
    return [Published(**json.loads(line)) for line in lines]
