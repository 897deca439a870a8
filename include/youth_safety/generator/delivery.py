"""Write what the agencies send into the landing zone, night by night.

Layout: ``landing/<source>/<delivery night>/<extract>_<extract night>.csv``. The first
delivery night (go-live) carries each delta extract's history (the latest version of
every record sent before go-live); later nights carry that night's records. Full
snapshots are sent every night. A late source's files arrive in the next night's folder.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from youth_safety.config import SOURCES, Settings
from youth_safety.contracts import Contract, all_contracts, get_contract
from youth_safety.generator.mess import MessLog, MessRates, row_mess
from youth_safety.generator.timeline import iso


@dataclass
class DeliveryPlan:
    go_live: int
    end_day: int
    late: dict[str, set[int]]

    @classmethod
    def draw(cls, rng: np.random.Generator, go_live: int, end_day: int, rate: float) -> "DeliveryPlan":
        nights = np.arange(go_live + 1, end_day)  # neither go-live nor the last night is late
        return cls(go_live, end_day, {s: {int(n) for n in nights[rng.random(len(nights)) < rate]} for s in SOURCES})

    @property
    def nights(self) -> range:
        return range(self.go_live, self.end_day + 1)

    def delivered_on(self, source: str, night: int) -> int:
        return night + 1 if night in self.late[source] else night


@dataclass
class LandingWriter:
    settings: Settings
    plan: DeliveryPlan
    rates: MessRates
    seed: int
    log: MessLog
    rows_written: dict[str, int] = field(default_factory=dict)
    files: list[dict] = field(default_factory=list)
    _offsets: dict[Path, int] = field(default_factory=dict)

    def path(self, contract: Contract, night: int) -> Path:
        delivered = iso(np.array([self.plan.delivered_on(contract.source, night)]))[0]
        return self.settings.landing_night_dir(contract.source, delivered) / contract.file_name(iso(np.array([night]))[0])

    def write_delta(self, extract: str, rows: pd.DataFrame) -> None:
        contract = get_contract(*extract.split("."))
        rows = rows[rows["_night"] <= self.plan.end_day]
        rows = rows.assign(_night=rows["_night"].clip(lower=self.plan.go_live)).sort_values("_night", kind="stable")
        # A file carries the latest version of each record sent that night (history included).
        rows = rows.drop_duplicates(["_night", *contract.primary_key], keep="last")
        for night, part in rows.groupby("_night", sort=True):
            self._append(contract, int(night), part.drop(columns="_night"))

    def write_snapshot(self, extract: str, rows: pd.DataFrame, night: int) -> None:
        self._append(get_contract(*extract.split(".")), night, rows)

    def _append(self, contract: Contract, night: int, rows: pd.DataFrame) -> None:
        path = self.path(contract, night)
        offset = self._offsets.get(path, 0)
        rng = np.random.default_rng([self.seed, zlib.crc32(str(path.relative_to(self.settings.landing_dir)).encode()), offset])
        coded = [f.name for f in contract.fields if f.codes and f.type != "json_array"]
        rows, planted = row_mess(rng, rows, coded, True, self.rates)
        relative = str(path.relative_to(self.settings.landing_dir))
        for kind in ("invalid_code", "duplicate_row"):
            hits = [(i, column) for i, k, column in planted if k == kind]
            for column in sorted({c for _, c in hits}):
                at = np.array([offset + i + 1 for i, c in hits if c == column])
                self.log.add(contract.source, contract.extract, np.full(len(at), ""), kind, column, relative, at)
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(rows[contract.columns].astype(str), preserve_index=False)
        with open(path, "ab") as fh:
            pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=offset == 0, quoting_style="needed"))
        if offset == 0:
            self.files.append({"file": relative, "source": contract.source, "extract": contract.extract,
                               "extract_night": iso(np.array([night]))[0], "delivered_night": path.parent.name})
        self._offsets[path] = offset + len(rows)
        self.rows_written[contract.name] = self.rows_written.get(contract.name, 0) + len(rows)

    def finish(self) -> pd.DataFrame:
        """Send a header-only file for every extract and night with nothing in it."""
        for contract in all_contracts():
            for night in self.plan.nights:
                if self.path(contract, night) not in self._offsets:
                    self._append(contract, night, pd.DataFrame(columns=contract.columns))
        files = pd.DataFrame(self.files)
        files["rows"] = [self._offsets[self.settings.landing_dir / f] for f in files["file"]]
        files["late"] = files["extract_night"] != files["delivered_night"]
        return files.sort_values("file", ignore_index=True)
