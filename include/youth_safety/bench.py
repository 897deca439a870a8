"""The benchmark: the real nightly DAG on a generated borough, timed stage by stage against a raw-read limit.

For each scale, in a fresh data home: generate the borough (timed, but not a stage), set up Airflow,
then run the full night (the day before the last delivery: the whole history's first load) and the
incremental night (the last delivery) with ``airflow dags test``, as ``youth-safety run`` does.
Stage wall times come from Airflow's own record (task instances in the metadata database); validate
and pseudonymise are measured inside the load tasks (``TimedSourceLoad.seconds``, their XCom). While a
night runs, the RSS of every process under this one is sampled for the peak. The raw-read limit is
DuckDB reading each file the night loads once, every column, on the same machine.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Callable

import duckdb
import psutil

from youth_safety.airflow_env import run_airflow
from youth_safety.airflow_runs import read_metadata, task_label
from youth_safety.config import NIGHTLY_DAG_ID, SOURCES, Settings

SAMPLE_SECONDS = 0.2
# stage -> the DAG tasks whose wall times it sums (validate and pseudonymise come from the load tasks' XComs)
TASK_STAGES = {"link": ("link",), "dbt": ("dbt_build",), "score": ("score",), "publish": ("prepare", "publish"),
               "report": ("summarise", "report")}
STAGES = ("validate", "pseudonymise", "load_other", "link", "dbt", "score", "publish", "report", "total")
GIB = 1024**3


@dataclass
class NightResult:
    """One night of one scale: seconds per stage (None: the DAG has no such task), the DAG run's wall time,
    peak RSS, and the raw-read limit of the files it loaded."""

    scale: float
    kind: str  # full | incremental
    night: str
    state: str
    stages: dict[str, float | None]
    process_seconds: float  # the whole `airflow dags test` command, parsing and start-up included
    peak_gib: float
    files: int
    rows: int
    raw_read_seconds: float
    ratio: float
    load_phases: dict[str, float] = field(default_factory=dict)
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)
    peak_task: str = ""  # the task running when the peak was sampled


@dataclass
class BenchReport:
    machine: dict
    generation: dict[str, dict]
    nights: list[NightResult]

    def as_dict(self) -> dict:
        return {"machine": self.machine, "generation": self.generation, "nights": [asdict(n) for n in self.nights]}


def machine() -> dict:
    """Where the figures come from."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    from importlib.metadata import version

    return {"cores": os.cpu_count(), "ram_gib": round(psutil.virtual_memory().total / GIB, 1), "cpu": model,
            "os": platform.platform(), "python": platform.python_version(), "duckdb": duckdb.__version__,
            "airflow": version("apache-airflow"), "dbt": version("dbt-core"),
            "at": datetime.now().astimezone().isoformat(timespec="seconds")}


class PeakRss:
    """Samples the summed RSS of every process below this one until stopped (shared pages count once per process)."""

    def __init__(self) -> None:
        self.peak = 0
        self.peak_at: datetime | None = None  # UTC, naive, as Airflow's metadata records times
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            if total > self.peak:
                self.peak, self.peak_at = total, datetime.now(UTC).replace(tzinfo=None)
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()


def _cli(home: Path, args: list[str], log_path: Path) -> None:
    """Run ``youth-safety <args>`` on one data home; raise with the log's tail when it fails."""
    with open(log_path, "a") as log:
        done = subprocess.run([sys.executable, "-c", "from youth_safety.cli import app; app()", *args],
                              env={**os.environ, "YOUTH_SAFETY_HOME": str(home)}, stdin=subprocess.DEVNULL,
                              stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = "\n".join(log_path.read_text().splitlines()[-20:])
        raise RuntimeError(f"youth-safety {' '.join(args)} failed (exit {done.returncode}); log {log_path}:\n{tail}")


def landed_between(settings: Settings, after: date | None, night: date) -> list[Path]:
    """Landed files in delivery folders dated after ``after`` (None: any) up to ``night``: what that night loads."""
    from youth_safety.ingest import landed_files

    found = (f for source in SOURCES for f in landed_files(settings, source, night))
    return sorted(f.path for f in found if after is None or f.delivered_night > after)


def raw_read(files: list[Path]) -> tuple[float, int]:
    """Seconds for DuckDB to read every file once, every column as text (one pass per extract), and the rows read."""
    by_extract: dict[str, list[str]] = defaultdict(list)
    for path in files:
        by_extract[f"{path.parent.parent.name}.{path.stem.rsplit('_', 1)[0]}"].append(str(path))
    rows = 0
    began = time.perf_counter()
    with duckdb.connect() as con:
        for paths in by_extract.values():
            found = con.execute("select count(*), sum(length(concat_ws(',', *columns(*)))) from "
                                "read_csv($files, all_varchar = true, header = true, union_by_name = true, ignore_errors = true)",
                                {"files": paths}).fetchall()
            rows += found[0][0]
    return time.perf_counter() - began, rows


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def read_run(settings: Settings) -> tuple[str, float, dict[str, float | None], dict[str, float]]:
    """The latest nightly run's state, wall seconds, seconds per stage and summed load phases, from Airflow's metadata."""
    found = read_metadata(settings, "select id, run_id, state from dag_run where dag_id = ? order by id desc limit 1", [NIGHTLY_DAG_ID])
    if not found:
        raise RuntimeError(f"no {NIGHTLY_DAG_ID} run in {settings.airflow_home / 'airflow.db'}")
    run_pk, run_id, state = found[0]
    tasks = read_metadata(settings, "select task_id, start_date, end_date from task_instance where dag_id = ? and run_id = ?",
                          [NIGHTLY_DAG_ID, run_id]) or []
    loads = read_metadata(settings, "select value from xcom where dag_run_id = ? and task_id = 'load' and key = 'return_value'",
                          [run_pk]) or []
    spent: dict[str, float] = defaultdict(float)
    timed = [(task_id, _when(began), _when(ended)) for task_id, began, ended in tasks if began and ended]
    for task_id, began, ended in timed:
        spent[task_id] += (ended - began).total_seconds()
    phases: dict[str, float] = defaultdict(float)
    for (value,) in loads:
        for phase, seconds in (json.loads(value) if isinstance(value, str) else value).get("seconds", {}).items():
            phases[phase] += seconds
    stages: dict[str, float | None] = {"validate": phases.get("validate"), "pseudonymise": phases.get("pseudonymise")}
    stages["load_other"] = spent["load"] - (stages["validate"] or 0) - (stages["pseudonymise"] or 0)
    for stage, task_ids in TASK_STAGES.items():
        present = [t for t in task_ids if t in spent]
        stages[stage] = sum(spent[t] for t in present) if present else None
    # `dags test` records the run as starting at its logical date, so the run's wall time is first task start to last task end
    total = (max(t[2] for t in timed) - min(t[1] for t in timed)).total_seconds() if timed else 0.0
    stages["total"] = total
    return state, total, stages, dict(phases)


def running_at(settings: Settings, moment: datetime | None) -> str:
    """The task (with its map index) of the latest nightly run that was running at ``moment``."""
    if moment is None:
        return ""
    found = read_metadata(settings, """select task_id, map_index, rendered_map_index from task_instance where dag_id = ?
                                         and run_id = (select run_id from dag_run where dag_id = ? order by id desc limit 1)
                                         and start_date <= ? and coalesce(end_date, ?) >= ? order by start_date""",
                          [NIGHTLY_DAG_ID, NIGHTLY_DAG_ID, moment.isoformat(" "), moment.isoformat(" "), moment.isoformat(" ")]) or []
    return ", ".join(task_label(*row) for row in found)


def run_night(settings: Settings, scale: float, kind: str, night: date, files: list[Path],
              progress: Callable[[str], None]) -> NightResult:
    """Read the night's files once (the limit), then run the nightly DAG for the night and read back its timings."""
    limit, rows = raw_read(files)
    progress(f"  raw-read limit for the {kind} night ({len(files)} files, {rows:,} rows): {limit:.1f} s")
    load_average = os.getloadavg()
    log_path = settings.airflow_home / "logs" / f"nightly_{night}.log"
    progress(f"  {kind} night {night}: airflow dags test {NIGHTLY_DAG_ID} {night} (log {log_path}) ...")
    began = time.perf_counter()
    with PeakRss() as rss:
        done = run_airflow(settings, ["dags", "test", NIGHTLY_DAG_ID, night.isoformat()], log_path)
    wall = time.perf_counter() - began
    state, total, stages, phases = read_run(settings)
    if done.returncode != 0 or state != "success":
        progress(f"  WARNING: the {kind} night's run ended {state} (exit {done.returncode}); its times are shown; log {log_path}")
    peak_task = running_at(settings, rss.peak_at)
    progress(f"  {kind} night: {state} in {total:.1f} s (command {wall:.1f} s), peak {rss.peak / GIB:.2f} GiB (during {peak_task or '?'})")
    return NightResult(scale=scale, kind=kind, night=night.isoformat(), state=state, stages=stages, process_seconds=round(wall, 2),
                       peak_gib=round(rss.peak / GIB, 3), files=len(files), rows=rows, raw_read_seconds=round(limit, 3),
                       ratio=round(total / limit, 2) if limit else float("inf"), load_phases=phases,
                       load_average=tuple(round(x, 2) for x in load_average), peak_task=peak_task)


def bench_scale(scale: float, start: date, end: date, seed: int, keep: bool, progress: Callable[[str], None]) -> tuple[dict, list[NightResult]]:
    """Generate one scale in a fresh home and run its full and incremental nights."""
    home = Path(tempfile.mkdtemp(prefix=f"youth-safety-bench-{scale:g}-"))
    settings = Settings(home=home)
    log_path = home / "bench.log"
    progress(f"scale {scale:g}: data home {home}")
    try:
        _cli(home, ["dev-key"], log_path)
        began = time.perf_counter()
        with PeakRss() as rss:
            _cli(home, ["generate", "--scale", str(scale), "--seed", str(seed), "--start", start.isoformat(), "--end", end.isoformat()], log_path)
        generation = {"seconds": round(time.perf_counter() - began, 1), "peak_gib": round(rss.peak / GIB, 3),
                      "files": len(landed_between(settings, None, end)),
                      "landed_mib": round(sum(p.stat().st_size for p in settings.landing_dir.rglob("*.csv")) / 2**20, 1)}
        progress(f"  generated {generation['files']} files ({generation['landed_mib']} MiB) in {generation['seconds']} s, "
                 f"peak {generation['peak_gib']:.2f} GiB (not a stage)")
        _cli(home, ["airflow-init"], log_path)
        first = end - timedelta(days=1)
        nights = [run_night(settings, scale, "full", first, landed_between(settings, None, first), progress),
                  run_night(settings, scale, "incremental", end, landed_between(settings, first, end), progress)]
    finally:
        if keep:
            progress(f"  kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    return generation, nights


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


TABLE_HEADER = ("scale", "night", "state", *STAGES, "peak GiB", "raw read s", "ratio")


def table_rows(report: BenchReport) -> list[tuple[str, ...]]:
    return [(f"{n.scale:g}", n.kind, n.state, *(_cell(n.stages.get(s)) for s in STAGES), f"{n.peak_gib:.2f}", f"{n.raw_read_seconds:.1f}",
             f"{n.ratio:.1f}") for n in report.nights]


def text_table(report: BenchReport) -> str:
    rows = [TABLE_HEADER, *table_rows(report)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(TABLE_HEADER))]
    return "\n".join("  ".join(v.ljust(w) if i < 3 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))) for r in rows)


def machine_line(m: dict) -> str:
    return (f"{m['cores']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['os']}; Python {m['python']}, DuckDB {m['duckdb']}, "
            f"Airflow {m['airflow']}, dbt {m['dbt']}; run {m['at']}")


def markdown(report: BenchReport) -> str:
    lines = ["| " + " | ".join(TABLE_HEADER) + " |", "|" + "---|" * 3 + "---:|" * (len(TABLE_HEADER) - 3)]
    lines += ["| " + " | ".join(r) + " |" for r in table_rows(report)]
    generated = "; ".join(f"scale {s}: {g['files']} files, {g['landed_mib']} MiB in {g['seconds']} s (peak {g['peak_gib']:.2f} GiB)"
                          for s, g in report.generation.items())
    return "\n".join([*lines, "", f"Machine: {machine_line(report.machine)}.", "", f"Generation (not timed as a stage): {generated}.", ""])


def run_bench(scales: list[float], out_dir: Path, start: date = date(2016, 4, 1), end: date | None = None, seed: int = 42,
              keep: bool = False, progress: Callable[[str], None] = print) -> BenchReport:
    """Benchmark each scale; write ``bench_<when>.json`` and ``.md`` under ``out_dir`` and return the report."""
    import pendulum

    from youth_safety.config import TIMEZONE

    end = end or date.fromisoformat(pendulum.today(TIMEZONE).to_date_string())
    report = BenchReport(machine=machine(), generation={}, nights=[])
    progress(f"Machine: {machine_line(report.machine)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"bench_{datetime.now():%Y%m%dT%H%M%S}"
    for scale in scales:
        generation, nights = bench_scale(scale, start, end, seed, keep, progress)
        report.generation[f"{scale:g}"] = generation
        report.nights += nights
        stem.with_suffix(".json").write_text(json.dumps(report.as_dict(), indent=2) + "\n")  # after each scale: a long run keeps what it measured
        stem.with_suffix(".md").write_text(markdown(report))
    progress(text_table(report))
    progress(f"Written: {stem}.json, {stem}.md")
    return report
