"""youth-safety: generate synthetic deliveries, set up Airflow, run and report a night."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import duckdb
import pendulum
import typer

from youth_safety.airflow_env import airflow_process
from youth_safety.airflow_runs import TaskProgress
from youth_safety.config import NIGHTLY_DAG_ID, TIMEZONE, WAREHOUSE_WRITER_POOL, Settings

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

TAIL_LINES = 30
POLL_SECONDS = 1.0
MAX_BACKFILL_NIGHTS = 400
EXCEPTION_LINE = re.compile(r"^[\w.]+(?:Error|Exception): .*?(?=^\d{4}-\d\d-\d\dT|\Z)", re.MULTILINE | re.DOTALL)


def _today() -> datetime:
    return datetime.fromisoformat(pendulum.today(TIMEZONE).to_date_string())


def _night_option(help_text: str):
    return typer.Option(_today(), "--date", formats=["%Y-%m-%d"], help=help_text, show_default="today")


def _fail(message: str) -> NoReturn:
    typer.secho(message, err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


def _errors(log_text: str) -> list[str]:
    """The exceptions a log reports (``SomeError: message`` up to the next log record), else its tail."""
    found = EXCEPTION_LINE.findall(log_text)
    return [e.strip() for e in found] or log_text.splitlines()[-TAIL_LINES:]


def _airflow_problem(settings: Settings, args: list[str], log_path: Path, what: str,
                     watch: Callable[[subprocess.Popen], None] | None = None) -> str | None:
    """Run one Airflow command (with ``watch`` following its process from this thread while it runs, when given);
    on failure return the errors in its log and where the full log is, else None."""
    start = log_path.stat().st_size if log_path.exists() else 0
    with airflow_process(settings, args, log_path) as done:
        if watch is not None:
            watch(done)
    if done.returncode == 0:
        return None
    with open(log_path) as log:
        log.seek(start)
        errors = _errors(log.read())
    return "\n".join([*errors, "", f"{what} failed (exit {done.returncode}); Airflow's full log: {log_path}"])


def _airflow(settings: Settings, args: list[str], log_path: Path, what: str) -> None:
    """Run one Airflow command; on failure show the errors in its log and exit non-zero."""
    problem = _airflow_problem(settings, args, log_path, what)
    if problem:
        _fail(problem)


def _print_table(header: tuple[str, ...], rows: list[tuple]) -> None:
    """A name column then right-aligned counts."""
    width = max(len(str(row[0])) for row in [header, *rows]) + 2
    counts = [max(len(header[i]), *(len(f"{row[i]:,}") for row in rows)) + 2 for i in range(1, len(header))]
    typer.echo(f"{header[0]:<{width}}" + "".join(f"{h:>{w}}" for h, w in zip(header[1:], counts)))
    for row in rows:
        typer.echo(f"{row[0]:<{width}}" + "".join(f"{n:>{w},}" for n, w in zip(row[1:], counts)))


@app.command()
def generate(
    scale: float = typer.Option(1.0, min=0.001, help="Population scale (1.0 = borough size)."),
    seed: int = typer.Option(42, help="Random seed: the same seed gives the same files."),
    start: datetime = typer.Option("2016-04-01", formats=["%Y-%m-%d"], help="First day simulated."),
    end: datetime = typer.Option(_today(), formats=["%Y-%m-%d"], help="Last delivery night.", show_default="today"),
    nightly_days: int = typer.Option(7, min=1, help="Last nights delivered one folder each (before: one history)."),
    mess: list[str] = typer.Option([], help="Override a mess rate, e.g. --mess name_typo=0.05 --mess late_file=0 (see README)."),
) -> None:
    """Write synthetic agency deliveries into the landing zone (replacing what is there)."""
    from youth_safety.generator import MessRates
    from youth_safety.generator import generate as generate_landing

    settings = Settings.from_env()
    typer.echo(f"Landing zone: {settings.landing_dir}")
    try:
        rates = MessRates.parse(mess)
        summary = generate_landing(settings, scale, seed, start.date(), end.date(), nightly_days, rates, progress=typer.echo)
    except ValueError as exc:
        _fail(f"generate: {exc}")
    _print_table(("extract", "rows"), list(summary.rows_by_extract.items()))
    if settings.warehouse_path.exists():
        typer.echo(f"Note: {settings.warehouse_path} holds loads of an earlier landing zone; files that differ "
                   "(another --end or --seed) will load again. Delete it for a clean start.")


@app.command("dev-key")
def dev_key() -> None:
    """Create a local development pseudonymisation key under var/secrets/ when no key is set up."""
    from youth_safety.privacy.keys import ENV_VAR, SecretKeyError, ensure_development_key, key_id, load_key

    settings = Settings.from_env()
    if ENV_VAR in os.environ:
        typer.echo(f"Using the pseudonymisation key from ${ENV_VAR}; no development key made")
    else:
        path, created = ensure_development_key(settings)
        if created:
            typer.secho(f"Created a DEVELOPMENT pseudonymisation key at {path} (mode 0600): for synthetic data only; "
                        f"in production the key comes from ${ENV_VAR} or the secret store", fg=typer.colors.YELLOW)
        else:
            typer.echo(f"Using the existing pseudonymisation key at {path}")
    try:
        typer.echo(f"Key id: {key_id(load_key(settings))}")
    except SecretKeyError as exc:
        _fail(f"dev-key: {exc}")


@app.command()
def link(
    night: datetime = _night_option("Night the linkage runs for (YYYY-MM-DD)."),
    full: bool = typer.Option(False, "--full", help="Re-score and re-cluster every record, not only the night's new ones."),
    retrain: bool = typer.Option(False, "--retrain", help="Train and save a new model version first."),
) -> None:
    """Link agency records into people (in the vault) and publish person keys; normally the nightly DAG does this."""
    from youth_safety.linkage.nightly import link_night

    settings = Settings.from_env()
    try:
        linked = link_night(settings, night.date(), full=full, retrain=retrain)
    except duckdb.IOException as exc:
        _fail(f"link: a file is in use (is a run writing it?): {exc}")
    done = linked.run
    typer.echo(f"Linked {done.records:,} agency records into {done.people:,} people with model {done.model_version}: "
               f"{done.new_records:,} new records, {done.new_keys:,} new keys, {done.merges} merges, {done.splits} splits; "
               f"{done.queue_size} pair(s) for clerical review")
    if linked.quality:
        overall = linked.quality.overall
        typer.echo(f"Against ground truth: precision {overall['precision']:.4f}, recall {overall['recall']:.4f}, "
                   f"F1 {overall['f1']:.4f}, completeness {linked.quality.completeness:.4f}")
    typer.echo(f"Report: {linked.report}")


@app.command("rotate-key")
def rotate_key_command(
    new_key_env: str = typer.Option(None, "--new-key-env", help="Name of an environment variable holding the new key "
                                    "(when the key lives in a secret store); otherwise a random key replaces the key file."),
) -> None:
    """Re-tokenise the vault and the warehouse under a new key; person keys do not change. Run with no nightly in progress."""
    from youth_safety.privacy.keys import ENV_VAR, SecretKeyError, decode_key, new_key
    from youth_safety.privacy.rotation import rotate_key

    settings = Settings.from_env()
    if ENV_VAR in os.environ and not new_key_env:
        _fail(f"rotate-key: the key comes from ${ENV_VAR}; put the new key in another variable, pass --new-key-env NAME, "
              f"then store it where ${ENV_VAR} comes from")
    try:
        key = decode_key(os.environ.get(new_key_env, ""), f"environment variable {new_key_env}") if new_key_env else new_key()
        done = rotate_key(settings, key, write_key=not new_key_env)
    except (SecretKeyError, ValueError, FileNotFoundError) as exc:
        _fail(f"rotate-key: {exc}")
    except duckdb.IOException as exc:
        _fail(f"rotate-key: a file is in use (is a run writing it?): {exc}")
    typer.echo(f"Rotated key {done.old_key_id} -> {done.new_key_id}: {done.tokens:,} tokens re-made, "
               f"{done.rows_rewritten:,} values rewritten in {done.columns_rewritten} columns ({done.seconds:.1f} s); person keys unchanged")
    if new_key_env:
        typer.echo(f"Now store the new key where ${ENV_VAR} comes from; the old key no longer opens the vault.")


@app.command("airflow-init")
def airflow_init() -> None:
    """Create or upgrade Airflow's metadata database and the warehouse writer pool (idempotent)."""
    settings = Settings.from_env()
    log_path = settings.airflow_home / "logs" / "airflow_init.log"
    _airflow(settings, ["db", "migrate"], log_path, "airflow db migrate")
    _airflow(settings, ["pools", "set", WAREHOUSE_WRITER_POOL, "1", "One DuckDB writer at a time"], log_path,
             f"creating pool {WAREHOUSE_WRITER_POOL}")
    typer.echo(f"Airflow ready in {settings.airflow_home} (pool {WAREHOUSE_WRITER_POOL}: 1 slot)")


def _require_airflow(settings: Settings) -> None:
    if not (settings.airflow_home / "airflow.db").exists():
        _fail(f"Airflow is not set up in {settings.airflow_home}: run `youth-safety airflow-init` first")


def _run_night(settings: Settings, night: date, show: Callable[[TaskProgress], None]) -> str | None:
    """Run partnership_nightly for one night through Airflow (``airflow dags test``), passing its task progress,
    read from Airflow's metadata database, to ``show`` every POLL_SECONDS; the errors when it failed, else None."""
    from youth_safety.airflow_runs import run_progress

    launched = datetime.now(UTC)

    def watch(process: subprocess.Popen) -> None:
        running = True
        while running:  # one last look once Airflow has finished
            try:
                process.wait(POLL_SECONDS)
                running = False
            except subprocess.TimeoutExpired:
                pass
            found = run_progress(settings, NIGHTLY_DAG_ID, launched)
            if found:
                show(found)

    return _airflow_problem(settings, ["dags", "test", NIGHTLY_DAG_ID, night.isoformat()], _night_log(settings, night),
                            f"{NIGHTLY_DAG_ID} for {night}", watch)


def _night_log(settings: Settings, night: date) -> Path:
    return settings.airflow_home / "logs" / f"nightly_{night}.log"


def _task_bar(night: date):
    """A progress bar over the night's tasks (done/total) with the running ones; the total grows as mapped tasks expand."""
    bar = typer.progressbar(length=1, label=f"{NIGHTLY_DAG_ID} {night}", show_pos=True, show_eta=False,
                            item_show_func=lambda running: running and running[:60])
    shown = [0]

    def show(found: TaskProgress) -> None:
        bar.length = max(found.total, 1)
        _advance(bar, found.done - shown[0], ", ".join(found.running) or None)
        shown[0] = max(found.done, shown[0])

    return bar, show


def _advance(bar, steps: int, item: str | None) -> None:
    """Move a progress bar on by ``steps`` (none: only redraw) showing ``item``."""
    bar.current_item = item
    if steps > 0:
        bar.update(steps)
    else:
        bar.render_progress()


@app.command()
def run(night: datetime = _night_option("Night to run (YYYY-MM-DD).")) -> None:
    """Run the partnership_nightly DAG for one night through Airflow (airflow dags test), with its tasks' progress; print its summary."""
    settings = Settings.from_env()
    _require_airflow(settings)
    typer.echo(f"Running {NIGHTLY_DAG_ID} for night {night:%Y-%m-%d} (Airflow log: {_night_log(settings, night.date())}) ...")
    bar, show = _task_bar(night.date())
    with bar:
        problem = _run_night(settings, night.date(), show)
    if problem:
        _fail(problem)
    _show_summary(settings, night.date())


@app.command(hidden=True)
def nightly(night: datetime = _night_option("Night to run (YYYY-MM-DD).")) -> None:
    """Old name of `run`."""
    run(night)


@app.command()
def backfill(
    first: datetime = typer.Option(..., "--from", formats=["%Y-%m-%d"], help="First night to run (YYYY-MM-DD)."),
    last: datetime = typer.Option(..., "--to", formats=["%Y-%m-%d"], help="Last night to run (YYYY-MM-DD), inclusive."),
    yes: bool = typer.Option(False, "--yes", help=f"Run a range longer than {MAX_BACKFILL_NIGHTS} nights."),
) -> None:
    """Run partnership_nightly for each night from --from to --to in order, one at a time (as `run`); stop at the first failed night."""
    start, end = first.date(), last.date()
    if start > end:
        _fail(f"backfill: --from {start} is after --to {end}; nothing run")
    nights = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    if len(nights) > MAX_BACKFILL_NIGHTS and not yes:
        _fail(f"backfill: {start} to {end} is {len(nights)} nights, more than {MAX_BACKFILL_NIGHTS}; "
              "pass --yes to run them all, or a shorter range")
    settings = Settings.from_env()
    _require_airflow(settings)
    typer.echo(f"Backfilling {NIGHTLY_DAG_ID}: {len(nights)} night(s), {start} to {end}, one at a time "
               f"(Airflow logs: {settings.airflow_home / 'logs'}/nightly_<night>.log)")
    done: list[str] = []
    problem = None
    with typer.progressbar(nights, label="nights", show_pos=True, item_show_func=lambda n: n and str(n)) as bar:
        for night in bar:
            problem = _run_night(settings, night, lambda found, night=night: _advance(bar, 0, f"{night}: {found.done}/{found.total} tasks"))
            if problem:
                break
            done.append(_night_line(settings, night))
    for line in done:
        typer.echo(line)
    if problem:
        rest = f"; nights before it are done ({nights[0]} to {night - timedelta(days=1)})" if night > start else ""
        _fail(f"{problem}\n\nbackfill stopped at night {night}, which failed{rest}. Mend it, then resume with "
              f"`youth-safety backfill --from {night} --to {end}`")
    typer.echo(f"Backfill done: {len(nights)} night(s), {start} to {end}")


def _night_line(settings: Settings, night: date) -> str:
    """One line for a night that ran: its files and rows, and what was held back or late (from the published warehouse)."""
    from youth_safety.status import read_night

    if not settings.published_warehouse_path.exists():
        return f"{night}: done (no warehouse published)"
    try:
        with duckdb.connect(str(settings.published_warehouse_path), read_only=True) as con:
            found = read_night(con, night)
    except duckdb.Error as exc:
        return f"{night}: done (its summary could not be read: {exc})"
    if found.run_id is None:
        return f"{night}: done (no run summary published)"
    notes = ([f"held back: {', '.join(found.held_sources)}"] if found.held_sources else []) + \
            ([f"late: {', '.join(source for source, _ in found.late_sources)}"] if found.late_sources else [])
    return (f"{night}: {found.files_loaded:,} file(s) loaded, {found.files_held:,} held, {found.rows_loaded:,} rows loaded"
            + (f" ({'; '.join(notes)})" if notes else ""))


@app.command()
def summary(night: datetime = _night_option("Night whose summary to show (YYYY-MM-DD).")) -> None:
    """Print the stored run summary of a night."""
    _show_summary(Settings.from_env(), night.date())


@app.command()
def status(nights: int = typer.Option(7, "--nights", min=0, help="How many of the latest nights to show.")) -> None:
    """The last nights, each source's freshness, gate failures, late sources, publishes and alerts (published warehouse, read-only)."""
    from youth_safety.status import StatusError, gather

    settings = Settings.from_env()
    try:
        found = gather(settings, _today().date(), nights)
    except StatusError as exc:
        _fail(f"status: {exc}")
    typer.echo(f"Published warehouse: {found.warehouse} (read-only)")
    typer.echo(f"Build in progress: {found.build.owner} holds the working copy since {found.build.started_at}" if found.build
               else "Build in progress: none (no working copy held)")
    typer.echo(f"\nLast {len(found.nights)} night(s), latest run of each:")
    for n in found.nights:
        run_state = n.airflow_state or "-"
        if n.run_id is None:
            typer.secho(f"  {n.night}  Airflow {run_state:<8} no run summary published (the run failed before publishing)",
                        fg=typer.colors.RED)
            continue
        problems = ([f"held back: {', '.join(n.held_sources)}"] if n.held_sources else []) + \
                   ([f"no result: {', '.join(n.sources_without_result)}"] if n.sources_without_result else []) + \
                   [f"{source} late, missing {', '.join(missing)}" for source, missing in n.late_sources]
        typer.secho(f"  {n.night}  Airflow {run_state:<8} {n.files_loaded:>6,} files loaded  {n.files_held:>3,} held  "
                    f"{n.rows_loaded:>10,} rows loaded  {n.rows_quarantined:>7,} quarantined" + (f"  ({'; '.join(problems)})" if problems else ""),
                    fg=typer.colors.RED if problems or run_state == "failed" else None)
    typer.echo(f"\nFreshness (latest extract night loaded; days old on {found.today}):")
    for f in found.freshness:
        typer.echo(f"  {f.source:<12} {str(f.latest_night or 'nothing loaded'):<14} " + ("" if f.days_old is None else f"{f.days_old:>5} day(s)"))
    typer.echo(f"\nGate failures (files rejected on the nights shown): {len(found.gate_failures) or 'none'}")
    for g in found.gate_failures:
        typer.secho(f"  {g.run_night}  {g.file_name}  {g.rule}: {g.reason}", fg=typer.colors.RED)
    typer.echo(f"\nPublishes and rollbacks (latest last): {len(found.publishes) or 'none yet'}")
    for p in found.publishes:
        night = f"night {found.published_nights[p.owner]}  " if p.owner in found.published_nights else ""
        typer.echo(f"  {p.at}  {p.action:<8} {night}{p.owner}  ({p.tables} tables, {p.rows:,} rows)")
    typer.echo(f"\nAlerts (latest last, from {settings.reports_dir / 'alerts' / 'alerts.jsonl'}): {len(found.alerts) or 'none'}")
    for a in found.alerts:
        typer.secho(f"  {a['at']}  {a['dag']} night {a['night']}  {a['task']} {a['kind']}: {a['reason']}",
                    fg=typer.colors.YELLOW if a["kind"] == "late" else typer.colors.RED)


@app.command()
def rollback() -> None:
    """Swap the published warehouse with the previous version (the one published before it); run it again to undo."""
    from youth_safety.privacy.requests import current_operator
    from youth_safety.publish import PublishError
    from youth_safety.publish import rollback as swap_back
    from youth_safety.status import published_night

    settings = Settings.from_env()
    try:
        done = swap_back(settings, owner=current_operator())
    except PublishError as exc:
        _fail(f"rollback: {exc}")
    except duckdb.IOException as exc:
        _fail(f"rollback: the warehouse is in use (is something writing it?): {exc}")

    def version(path: Path) -> str:
        night = published_night(path)
        return f"the version of night {night[0]} (run {night[1]})" if night else "a version without a run summary"

    typer.echo(f"Rolled back: {settings.published_warehouse_path} is now {version(settings.published_warehouse_path)}, "
               f"{done.tables} tables, {done.rows:,} rows")
    typer.echo(f"Kept as the previous version: {version(settings.previous_warehouse_path)}. "
               "Run `youth-safety rollback` again to undo; the next night's run builds on the version now published.")


def _show_summary(settings: Settings, night: date) -> None:
    from youth_safety.summary import read_summary, summary_path

    if not settings.warehouse_path.exists():
        _fail(f"No warehouse at {settings.warehouse_path}: run `youth-safety run --date D` first")
    try:
        found = read_summary(settings, night)
    except duckdb.IOException as exc:
        _fail(f"Cannot read {settings.warehouse_path} (is a run writing it?): {exc}")
    if found is None:
        _fail(f"No run summary for night {night} in {settings.warehouse_path}")
    typer.echo(f"Warehouse: {settings.warehouse_path}")
    typer.echo(f"Report: {summary_path(settings, night)}")
    typer.echo(f"Night {night} (run {found.run_id}, recorded {found.recorded_at:%Y-%m-%d %H:%M} UTC)")
    rows = [(s.source, s.files_loaded, s.files_skipped, s.files_rejected + s.files_blocked, s.rows_received, s.rows_loaded,
             s.rows_quarantined, s.rows_excluded, found.raw_rows[s.source] or 0) for s in found.loads]
    rows.append(("total", *(sum(column) for column in list(zip(*rows))[1:])))
    _print_table(("source", "files loaded", "skipped", "held", "rows received", "loaded", "quarantined", "excluded", "raw rows"), rows)
    for load in found.loads:
        if load.status != "published":
            typer.secho(f"{load.source}: held back tonight ({load.files_rejected} file(s) rejected, {load.files_blocked} blocked); "
                        "its marts keep the last good data", fg=typer.colors.RED)
    for source in found.missing_sources:
        typer.secho(f"{source}: no result recorded (its load failed)", fg=typer.colors.RED)
    for source, missing in found.late_sources.items():
        typer.secho(f"{source}: late at the cut-off, missing {', '.join(missing)} (loads when it lands)", fg=typer.colors.YELLOW)
    _show_linkage(settings, night)


def _show_linkage(settings: Settings, night: date) -> None:
    """The night's linkage line, from linkage.runs, with its measured quality when there is one."""
    from youth_safety.warehouse import connect

    with connect(settings.warehouse_path, read_only=True) as con:
        found = con.execute("""select records, people, new_records, new_keys, merges, splits, queue_size,
                                      pairwise_precision, pairwise_recall from linkage.runs where night = ?""", [night]).fetchall()
    if not found:
        typer.echo("Linkage: no run recorded for this night")
        return
    records, people, new_records, new_keys, merges, splits, queue, precision, recall = found[0]
    typer.echo(f"Linkage: {records:,} agency records -> {people:,} people ({new_records:,} new records, {new_keys:,} new keys, "
               f"{merges} merges, {splits} splits; {queue} pair(s) for clerical review)")
    if precision is not None:
        typer.echo(f"Linkage against the generator's ground truth: pairwise precision {precision:.4f}, recall {recall:.4f} "
                   f"(report: {settings.reports_dir / 'linkage' / f'linkage_{night}.html'})")


@app.command()
def suites(check: bool = typer.Option(False, "--check", help="Only report suites that drifted from their contracts.")) -> None:
    """Regenerate the Great Expectations suites in expectations/ from the contracts (or check them)."""
    from youth_safety.quality.suites import stale_suites, write_suites

    if check:
        stale = stale_suites()
        if stale:
            _fail("Suites out of date with their contracts (run `youth-safety suites`): " + ", ".join(stale))
        typer.echo("Every suite matches its contract.")
        return
    for path in write_suites():
        typer.echo(path)


@app.command()
def report(night: datetime = _night_option("Night to report on (YYYY-MM-DD).")) -> None:
    """Write the night's data-quality report (HTML page, and its file table as CSV); print the page's path."""
    from youth_safety.governance.report import ReportError, write_report

    settings = Settings.from_env()
    if not settings.warehouse_path.exists():
        _fail(f"No warehouse at {settings.warehouse_path}: run `youth-safety run` first")
    try:
        path = write_report(settings, night.date())
    except duckdb.IOException as exc:
        _fail(f"Cannot read {settings.warehouse_path} (is a run writing it?): {exc}")
    except ReportError as exc:
        _fail(f"report: {exc}")
    typer.echo(path)


@app.command("scan-identifiers")
def scan_identifiers(
    all_schemas: bool = typer.Option(False, "--all-schemas", help="Scan the seeds' code and reference lists too."),
) -> None:
    """Look for the generator's direct identifiers where analysts can reach them (warehouse, reports); exit 1 on any."""
    from youth_safety.privacy.scanner import ALL_SCHEMAS, KINDS, ScanError, scan

    settings = Settings.from_env()
    try:
        result = scan(settings, ALL_SCHEMAS if all_schemas else None)
    except duckdb.IOException as exc:
        _fail(f"Cannot read {settings.warehouse_path} (is a run writing it?): {exc}")
    except ScanError as exc:
        _fail(f"scan-identifiers: {exc}")
    scanned = f"{result.relations} tables/views and {result.report_files} report files"
    if result.clean:
        typer.echo(f"no direct identifier found in {scanned}")
        return
    kinds = [k for k in KINDS if any(h.kind == k for h in result.hits)]
    counts: dict[str, dict[str, int]] = {}
    for hit in result.hits:
        counts.setdefault(f"{hit.place}  {hit.column}", dict.fromkeys(kinds, 0))[hit.kind] = hit.count
    _print_table(("place  column", *kinds), [(where, *found.values()) for where, found in counts.items()])
    _fail(f"{sum(h.count for h in result.hits):,} direct identifier value(s) found scanning {scanned}; values are not shown")


@app.command("reidentify")
def reidentify_command(
    person_key: str = typer.Option(..., "--person-key", help="The person key (PK...) to re-identify."),
    reason: str = typer.Option("", "--reason", help="Why: the case or request it is for (at least 10 characters); audited."),
) -> None:
    """Show the child behind a person key: each agency record's id, names, DOB, sex, postcode and shared identifiers (audited first)."""
    from youth_safety.privacy.person_keys import NoPersonKeys
    from youth_safety.privacy.reidentify import UnknownPersonKey, reidentify
    from youth_safety.privacy.requests import RequestRefused

    try:
        found = reidentify(Settings.from_env(), person_key, reason)
    except (RequestRefused, UnknownPersonKey, NoPersonKeys, FileNotFoundError) as exc:
        _fail(f"reidentify: {exc}")
    except duckdb.IOException as exc:
        _fail(f"reidentify: the vault is in use (is a run writing it?): {exc}")
    resolution = found.resolution
    if resolution.merged:
        typer.secho(f"{resolution.asked} was merged into {resolution.current} on {resolution.retired_on}; showing {resolution.current}",
                    fg=typer.colors.YELLOW)
    typer.echo(f"Person {resolution.current}: {len(found.records)} agency record(s) "
               f"(request {found.request_id} by {found.operator}, audited)")
    for record in found.records:
        typer.echo(f"{record.source}  {record.entity}  {record.agency_id}")
        typer.echo(f"    name: {record.forename or '-'} {record.surname or '-'}   dob: {record.dob or '-'}   "
                   f"sex: {record.sex or '-'}   postcode: {record.postcode or '-'}")
        for role, value in record.identifiers:
            typer.echo(f"    {role}: {value}")


@app.command("erase")
def erase_command(
    person_key: str = typer.Option(None, "--person-key", help="The person key (PK...) of the person to erase."),
    identifier: str = typer.Option(None, "--identifier", help="Or one identifier, ROLE=VALUE: upn=..., pupil_id=..., nhs_number=..., pnc_id=..."),
    reason: str = typer.Option("", "--reason", help="Why: the request's reference (at least 10 characters, naming no one); logged."),
) -> None:
    """Erase a person from the vault, the raw and audit layers and every dbt model, and keep them from loading again."""
    from youth_safety.dbt_runner import DbtBuildError, build
    from youth_safety.privacy.erasure import ErasureError, erase, parse_identifier
    from youth_safety.privacy.keys import SecretKeyError, load_key
    from youth_safety.privacy.person_keys import NoPersonKeys
    from youth_safety.privacy.requests import RequestRefused

    settings = Settings.from_env()
    try:
        done = erase(settings, load_key(settings), reason, person_key, parse_identifier(identifier) if identifier else None)
    except (RequestRefused, ErasureError, NoPersonKeys, SecretKeyError, FileNotFoundError) as exc:
        _fail(f"erase: {exc}")
    except duckdb.IOException as exc:
        _fail(f"erase: the warehouse or vault is in use (is a run writing it?): {exc}")
    removed = ", ".join(f"{layer} {n:,}" for layer, n in done.rows_removed.items())
    typer.echo(f"Erased {done.records_erased} agency record(s) (erasure {done.erasure_id}); rows removed: {removed}; "
               f"{done.identifiers_suppressed} identifier value(s) on the suppression list")
    try:
        build(settings)
    except DbtBuildError as exc:
        _fail(f"erase: the person is erased, but rebuilding the dbt models failed; rebuild before anyone reads them:\n{exc}")
    typer.echo("dbt models rebuilt without them")


@app.command()
def purge(night: datetime = _night_option("Night to judge retention on (YYYY-MM-DD).")) -> None:
    """Purge records past their source's retention from every layer, move old landed files out, rebuild the dbt models."""
    from youth_safety.dbt_runner import DbtBuildError, build
    from youth_safety.governance.retention import purge as purge_layers
    from youth_safety.ingest import LandingError

    settings = Settings.from_env()
    if not settings.warehouse_path.exists():
        _fail(f"No warehouse at {settings.warehouse_path}: nothing to purge")
    try:
        done = purge_layers(settings, night.date())
    except duckdb.IOException as exc:
        _fail(f"purge: the warehouse or vault is in use (is a run writing it?): {exc}")
    except LandingError as exc:
        _fail(f"purge: {exc}")
    if done.removed:
        _print_table(("layer  relation", "removed"), [(f"{layer}  {relation}", n) for layer, relation, n in done.removed])
    else:
        typer.echo(f"Nothing past retention on {night:%Y-%m-%d}")
    try:
        build(settings)
    except DbtBuildError as exc:
        _fail(f"purge: records are purged, but rebuilding the dbt models failed:\n{exc}")
    typer.echo("dbt models rebuilt")


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


@app.command()
def train(seed: int = typer.Option(42, help="Random seed: the same seed and data give the same models.")) -> None:
    """Train both predictive models, gate them, write their model cards and print what was promoted and why."""
    from youth_safety.prediction.card import write_cards
    from youth_safety.prediction.decisions import latest_decisions, write_decisions
    from youth_safety.prediction.training import train_all

    settings = Settings.from_env()
    if not settings.warehouse_path.exists():
        _fail(f"No warehouse at {settings.warehouse_path}: run `youth-safety run` first")
    try:
        train_all(settings, seed=seed)
        written = write_cards(settings)
    except duckdb.IOException as exc:
        _fail(f"train: the warehouse is in use (is a run writing it?): {exc}")
    except ValueError as exc:
        _fail(f"train: {exc}")
    decisions = latest_decisions(settings)
    rows = [(d.use_case, d.version, d.model_type, _rate(d.roc_auc), _rate(d.pr_auc),
             f"{_rate(d.precision_at_100)} vs {_rate(d.baseline_precision_at_100)}", "yes" if d.promoted else "no")
            for d in decisions]
    header = ("use case", "version", "model type", "ROC AUC", "PR AUC", "precision@100 vs baseline", "promoted")
    widths = [max(len(str(r[i])) for r in [header, *rows]) + 2 for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("".join(f"{str(v):<{w}}" for v, w in zip(row, widths)).rstrip())
    for d in decisions:
        shown = d.reasons if d.promoted else [r for r in d.reasons if "beats" not in r] or d.reasons
        more = f"; and {len(shown) - 3} more (see {settings.reports_dir / d.card})" if len(shown) > 3 else ""
        typer.echo(f"{d.use_case} {d.version}: {'promoted' if d.promoted else 'not promoted'}: "
                   + ("; ".join(shown[:3]) or "no reason recorded") + more)
    path = write_decisions(settings, decisions, pendulum.today(TIMEZONE).to_date_string())
    typer.echo(f"Model cards: {settings.reports_dir / 'models'} ({sum(len(p) for p in written.values())} written); "
               f"decisions: {path}")
    typer.echo("Scores are a prompt for a practitioner's review, never a decision (UK GDPR Article 22).")


@app.command()
def score(night: datetime = _night_option("Night the review list is for (YYYY-MM-DD).")) -> None:
    """Score each use case's current cohort with its promoted model into prediction.review_list; normally the nightly DAG does this."""
    from youth_safety.prediction.scoring import score_night

    settings = Settings.from_env()
    if not settings.warehouse_path.exists():
        _fail(f"No warehouse at {settings.warehouse_path}: run `youth-safety run` first")
    try:
        done = score_night(settings, night.date())
    except duckdb.IOException as exc:
        _fail(f"score: the warehouse is in use (is a run writing it?): {exc}")
    for scored in done:
        typer.echo(scored.message)
    typer.echo("Review list: prediction.review_list (person keys only; identities through `youth-safety reidentify`, audited)")


@app.command("review-outcome")
def review_outcome(
    use_case: str = typer.Option(..., "--use-case", help="early_identification or reoffending."),
    person_key: str = typer.Option(..., "--person-key", help="The listed child's person key (PK...)."),
    outcome: str = typer.Option(..., "--outcome", help="supported, no_action or already_known."),
    night: datetime = typer.Option(None, "--date", formats=["%Y-%m-%d"], help="The review list's night (default: the latest listing)."),
) -> None:
    """Record what followed a practitioner's review of a listed child (feeds later evaluation); operator: $YOUTH_SAFETY_OPERATOR or the OS user."""
    from youth_safety.prediction.outcomes import OutcomeRefused, record_outcome

    try:
        done = record_outcome(Settings.from_env(), use_case, person_key, outcome, night=night.date() if night else None)
    except OutcomeRefused as exc:
        _fail(f"review-outcome: {exc}")
    except duckdb.IOException as exc:
        _fail(f"review-outcome: the warehouse is in use (is a run writing it?): {exc}")
    typer.echo(f"Recorded {done.outcome} for {done.person_key} ({done.use_case} list of {done.night}, model {done.model_version}, "
               f"{done.band} band, rank {done.rank}) by {done.operator}")


@app.command()
def bench(
    scales: str = typer.Option("1,10", "--scales", help="Comma-separated population scales to benchmark."),
    keep: bool = typer.Option(False, "--keep", help="Keep each scale's temporary data home."),
) -> None:
    """Time the real nightly DAG (a full and an incremental night) per stage at each scale, against DuckDB's raw read of the files."""
    from youth_safety.bench import run_bench

    try:
        values = [float(s) for s in scales.split(",") if s.strip()]
        run_bench(values, Settings.from_env().reports_dir / "bench", keep=keep, progress=typer.echo)
    except ValueError as exc:
        _fail(f"bench: {exc}")
    except RuntimeError as exc:
        _fail(f"bench: {exc}")
