"""The synthetic borough: simulated lives, rendered as the agencies' nightly extracts.

``generate`` writes the landing zone and the ground truth (``truth/``, which the
pipeline never reads). Same seed, same bytes.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

import numpy as np
import pandas as pd

from youth_safety.config import Settings
from youth_safety.generator import agencies
from youth_safety.generator.delivery import DeliveryPlan, LandingWriter
from youth_safety.generator.education import simulate_schooling
from youth_safety.generator.health import simulate_semh
from youth_safety.generator.justice import simulate_justice
from youth_safety.generator.mess import MessLog, MessRates
from youth_safety.generator.population import simulate_borough
from youth_safety.generator.social_care import simulate_care
from youth_safety.generator.timeline import day, iso

__all__ = ["GenerationSummary", "MessRates", "generate"]


@dataclass(frozen=True)
class GenerationSummary:
    rows_by_extract: dict[str, int]
    files: int
    people: int
    go_live: str
    end: str
    late_files: int
    seconds: float


def generate(
    settings: Settings,
    scale: float = 1.0,
    seed: int = 42,
    start: date = date(2016, 4, 1),
    end: date | None = None,
    nightly_days: int = 7,
    rates: MessRates | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> GenerationSummary:
    """Simulate the borough from ``start`` to ``end`` and write every agency's deliveries.

    ``end`` is the last delivery night; the last ``nightly_days`` nights get their own
    deliveries and everything before goes into the go-live night's history files.
    """
    began = time.monotonic()
    end = end or date.today()
    rates = rates or MessRates()
    if nightly_days < 1 or end - timedelta(days=nightly_days) < start:
        raise ValueError("need at least one nightly delivery after the start date")
    streams = iter(np.random.SeedSequence(seed).spawn(8))
    rng = lambda: np.random.default_rng(next(streams))  # noqa: E731
    for folder in (settings.landing_dir, settings.truth_dir, settings.opt_out_path.parent):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    progress(f"simulating people (scale {scale}, seed {seed}, {start} to {end})")
    borough = simulate_borough(rng(), start, end, scale)
    progress(f"  {len(borough.people):,} children and young people")
    progress("simulating schooling")
    school = simulate_schooling(rng(), borough.people, start, end)
    progress("simulating social care")
    care = simulate_care(rng(), borough.people, start, end)
    progress("simulating offending, victimisation and police records")
    justice = simulate_justice(rng(), borough.people, start, end, scale)
    progress("simulating mental-health referrals")
    semh = simulate_semh(rng(), borough.people, start, end)

    log = MessLog()
    world = agencies.World(rng(), borough.people, borough.addresses, school, care, justice, semh, day(start), day(end), rates, log)
    plan = DeliveryPlan.draw(rng(), day(end) - nightly_days + 1, day(end), rates.late_file)
    writer = LandingWriter(settings, plan, rates, seed, log)
    for name, parts in (
        ("education", agencies.education(world)),
        ("yos", agencies.yos(world)),
        ("social_care", agencies.social_care(world)),
        ("police", agencies.police(world)),
        ("health", agencies.health(world)),
    ):
        progress(f"writing {name} extracts")
        for part in parts:
            if isinstance(part, agencies.Snapshot):
                for night in plan.nights:
                    writer.write_snapshot(part.extract, part.build(night), night)
            else:
                writer.write_delta(part.extract, part.rows)
    files = writer.finish()
    _write_truth(settings, borough.people, world, log, files)
    _write_opt_outs(rng(), settings, borough.people, world)
    summary = GenerationSummary(
        rows_by_extract=dict(sorted(writer.rows_written.items())), files=len(files), people=len(borough.people),
        go_live=iso(np.array([plan.go_live]))[0], end=end.isoformat(), late_files=int(files["late"].sum()),
        seconds=round(time.monotonic() - began, 1),
    )
    progress(f"wrote {summary.files} files, {sum(summary.rows_by_extract.values()):,} rows in {summary.seconds}s")
    return summary


OPT_OUT_SHARE = 0.0005


def _write_opt_outs(rng: np.random.Generator, settings: Settings, people: pd.DataFrame, world: agencies.World) -> None:
    """A few people known to the agencies whose objection is upheld: the opt-out register."""
    known = np.unique(pd.concat(world.source_records)["person_id"])
    chosen = np.sort(rng.choice(known, size=max(1, int(len(known) * OPT_OUT_SHARE)), replace=False))
    who = people.set_index("person_id").loc[chosen]
    register = pd.DataFrame({
        "nhs_number": who["nhs_number"].to_numpy(), "upn": world.upn_of.reindex(chosen).fillna("").to_numpy(),
        "surname": who["surname"].to_numpy(), "dob": iso(who["dob"].to_numpy()),
    })
    settings.opt_out_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.opt_out_path.parent.chmod(0o700)  # the register names people: owner only, like the vault
    register.to_csv(settings.opt_out_path, index=False, lineterminator="\n")
    settings.opt_out_path.chmod(0o600)
    pd.DataFrame({"person_id": chosen}).to_csv(settings.truth_dir / "opt_outs.csv", index=False, lineterminator="\n")


def _write_truth(settings: Settings, people: pd.DataFrame, world: agencies.World, log: MessLog, files: pd.DataFrame) -> None:
    truth = settings.truth_dir
    keep = ["person_id", "household_id", "dob", "sex", "ethnicity", "deprived", "resident", "in_state_school", "risk",
            "domestic_violence", "parental_offending", "forename", "surname", "nhs_number", "arrive", "leave"]
    persons = people[keep].copy()
    persons["dob"] = iso(persons["dob"].to_numpy())
    persons.to_parquet(truth / "persons.parquet", index=False)
    pd.concat(world.source_records, ignore_index=True).to_parquet(truth / "source_records.parquet", index=False)
    world.addresses.assign(from_date=iso(world.addresses["from_day"].to_numpy())).drop(columns="from_day").to_parquet(truth / "addresses.parquet", index=False)
    log.frame().to_csv(truth / "mess.csv", index=False, lineterminator="\n")
    files.to_csv(truth / "deliveries.csv", index=False, lineterminator="\n")
