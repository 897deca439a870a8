"""Render the simulated lives into what each agency's system would send.

Each renderer yields ``Delta`` chunks (record versions with the night each is sent) and
``Snapshot`` builders (the full extract as at a night), in contract column order, with
the true person behind every row kept aside for the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from youth_safety.config import CODES_DIR
from youth_safety.generator import geography
from youth_safety.generator.education import SchoolRecords
from youth_safety.generator.justice import JusticeRecords
from youth_safety.generator.mess import MessLog, MessRates, identity_mess
from youth_safety.generator.social_care import CareRecords, draw_events, person_years
from youth_safety.generator.timeline import academic_cohort, academic_year_label, iso
from youth_safety.identifiers import make_upn

POLICE_ETHNICITY = {"WBRI": "W1", "WIRI": "W2", "WIRT": "W3", "WOTH": "W9", "WROM": "W9", "MWBC": "M1", "MWBA": "M2",
                    "MWAS": "M3", "MOTH": "M9", "AIND": "A1", "APKN": "A2", "ABAN": "A3", "CHNE": "A4", "AOTH": "A9",
                    "BCRB": "B1", "BAFR": "B2", "BOTH": "B9", "OOTH": "O9", "REFU": "NS", "NOBT": "NS"}
YOS_OUTCOMES = ("CR", "YC", "YCC", "CD", "FINE", "RO", "YRO", "DTO", "S250")
COURT_OUTCOMES = ("CD", "FINE", "RO", "YRO", "DTO", "S250")


@dataclass(frozen=True)
class Delta:
    """Versions of delta records; ``_night`` is the night each version is sent."""

    extract: str
    rows: pd.DataFrame


@dataclass(frozen=True)
class Snapshot:
    """A full-snapshot extract: ``build(night)`` gives every row as at that night."""

    extract: str
    build: Callable[[int], pd.DataFrame]


@dataclass
class World:
    rng: np.random.Generator
    people: pd.DataFrame
    addresses: pd.DataFrame
    school: SchoolRecords
    care: CareRecords
    justice: JusticeRecords
    semh: pd.DataFrame
    first_day: int
    end_day: int
    rates: MessRates
    log: MessLog
    source_records: list[pd.DataFrame] = field(default_factory=list)
    upn_of: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))  # set by education
    yot_of: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))  # set by yos

    def person(self, ids, columns: list[str]) -> pd.DataFrame:
        return self.people.set_index("person_id").loc[np.asarray(ids), columns].reset_index()

    def remember(self, source: str, entity: str, record_ids, person_ids) -> None:
        self.source_records.append(pd.DataFrame({"source": source, "entity": entity, "record_id": np.asarray(record_ids, dtype=object), "person_id": np.asarray(person_ids)}))


def _agency_ids(rng, person_ids: np.ndarray, prefix: str, width: int) -> pd.Series:
    numbers = rng.choice(10 ** width - 10 ** (width - 1), size=len(person_ids), replace=False) + 10 ** (width - 1)
    return pd.Series([f"{prefix}{n}" for n in numbers], index=person_ids, dtype=object)


def _serials(prefix: str, n: int, width: int = 7) -> np.ndarray:
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def postcode_at(w: World, person_ids: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Each person's postcode on a day (their first known one before arrival)."""
    left = pd.DataFrame({"person_id": np.asarray(person_ids), "day": np.asarray(days), "i": np.arange(len(person_ids))})
    merged = pd.merge_asof(left.sort_values("day"), w.addresses.sort_values("from_day"), left_on="day", right_on="from_day", by="person_id", direction="backward")
    first = w.addresses.groupby("person_id")["postcode"].first()
    merged["postcode"] = merged["postcode"].fillna(merged["person_id"].map(first))
    return merged.sort_values("i")["postcode"].to_numpy()


def _flag(values) -> np.ndarray:
    return np.where(np.asarray(values, dtype=bool), "Y", "N").astype(object)


def _date(days) -> np.ndarray:
    return iso(np.asarray(days, dtype=np.int64))


def _lag(w: World, n: int, lo: int = 1, hi: int = 4) -> np.ndarray:
    return w.rng.integers(lo, hi, n)


def staged_versions(rows: pd.DataFrame, stages: list[tuple[np.ndarray, list[str]]], end_day: int) -> pd.DataFrame:
    """One version per stage a record has reached by ``end_day``; later stages' columns blank.

    ``stages[0]`` is when the record is first sent; each later stage reveals its columns
    (a close date, a decision) on its night, or never when its night is -1.
    """
    out = []
    for k, (night, _) in enumerate(stages):
        night = np.asarray(night)
        reached = (night >= 0) & (night <= end_day)
        version = rows[reached].copy()
        for _, later in stages[k + 1:]:
            version[later] = ""
        version["_night"] = night[reached]
        out.append(version)
    return pd.concat(out, ignore_index=True)


def _identities(w: World, source: str, entity: str, record_ids: pd.Series, extra: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Agency person records with names and DOB as that agency holds them (mess applied)."""
    base = w.person(record_ids.index, ["forename", "surname", "dob"])
    base.insert(0, "record_id", record_ids.to_numpy())
    for column, values in (extra or {}).items():
        base[column] = values
    w.remember(source, entity, base["record_id"], base["person_id"])
    return identity_mess(w.rng, base, w.rates, w.log, source, entity).set_index("person_id")


def education(w: World) -> Iterator[Delta | Snapshot]:
    s = w.school
    enrol = s.enrolments
    pupil_ids = np.unique(enrol["person_id"])
    pupil_id = _agency_ids(w.rng, pupil_ids, "P", 7)
    first = enrol.sort_values("entry_day").groupby("person_id").first().reindex(pupil_ids)
    reception = academic_cohort(w.person(pupil_ids, ["dob"])["dob"].to_numpy()) + 5
    estab = first["school_urn"].str[-4:].astype(int).to_numpy()
    serial = pd.DataFrame({"e": estab, "y": reception}).groupby(["e", "y"]).cumcount().to_numpy()
    upns = np.array([make_upn(206, int(e), int(y), int(k)) for e, y, k in zip(estab, reception, serial)], dtype=object)
    w.upn_of = pd.Series(upns, index=pupil_ids)
    ident = _identities(w, "education", "pupil_id", pupil_id, {"upn": upns})
    traits = s.pupils.set_index("person_id")
    people = w.people.set_index("person_id")
    former = np.where(w.rng.random(len(pupil_ids)) < 0.02, [make_upn(202, 2000 + i % 999, 10, i % 997) for i in range(len(pupil_ids))], "")
    former = pd.Series(former, index=pupil_ids)
    ethnicity = people.loc[pupil_ids, "ethnicity"].where(w.rng.random(len(pupil_ids)) > 0.02, "REFU")
    ay0 = pd.Series(reception, index=pupil_ids)

    def pupils_at(night: int) -> pd.DataFrame:
        e = enrol[enrol["entry_day"] <= night]
        pid = e["person_id"].to_numpy()
        closed = (e["leave_day"].to_numpy() >= 0) & (e["leave_day"].to_numpy() < night)
        leave = np.where(closed, e["leave_day"], -1)
        ref_day = np.where(closed, leave, night)
        k = np.clip(academic_cohort(ref_day) - ay0.reindex(pid).to_numpy(), 0, 13)
        fsm_start = traits["fsm_start"].reindex(pid).to_numpy()
        fsm_end = traits["fsm_end"].reindex(pid).to_numpy()
        until = np.where(closed, leave, night)
        on_fsm = (fsm_start >= 0) & (fsm_start <= until) & ((fsm_end < 0) | (fsm_end >= e["entry_day"].to_numpy()))
        start = np.where(on_fsm, np.maximum(fsm_start, e["entry_day"]), -1)
        ended = on_fsm & (fsm_end >= 0) & (fsm_end < until)
        end = np.where(ended, fsm_end, np.where(on_fsm & closed, leave, -1))
        idn = ident.loc[pid]
        return pd.DataFrame({
            "pupil_id": pupil_id.reindex(pid).to_numpy(), "upn": idn["upn"].to_numpy(), "former_upn": former.reindex(pid).to_numpy(),
            "surname": idn["surname"].to_numpy(), "forename": idn["forename"].to_numpy(), "dob": idn["dob"].to_numpy(),
            "sex": people.loc[pid, "sex"].to_numpy(), "ethnicity": ethnicity.reindex(pid).to_numpy(),
            "fsm_start_date": _date(start), "fsm_end_date": _date(end), "sen_provision": traits["sen"].reindex(pid).to_numpy(),
            "school_urn": e["school_urn"].to_numpy(), "year_group": np.where(k == 0, "R", k.astype(str)),
            "entry_date": _date(e["entry_day"]), "leaving_date": _date(leave),
            "postcode": postcode_at(w, pid, np.full(len(pid), night)), "_person_id": pid,
        })

    yield Snapshot("education.pupils", pupils_at)
    att = s.attendance
    for ay, chunk in att.groupby("ay", sort=True):
        pid = chunk["person_id"].to_numpy()
        yield Delta("education.attendance", pd.DataFrame({
            "pupil_id": pupil_id.reindex(pid).to_numpy(), "upn": ident.loc[pid, "upn"].to_numpy(), "school_urn": chunk["school_urn"].to_numpy(),
            "academic_year": academic_year_label(int(ay)), "term": chunk["term"].to_numpy(),
            "sessions_possible": chunk["possible"].astype(str).to_numpy(), "sessions_authorised": chunk["authorised"].astype(str).to_numpy(),
            "sessions_unauthorised": chunk["unauthorised"].astype(str).to_numpy(), "_night": chunk["deliver_day"].to_numpy(), "_person_id": pid,
        }))
    ex = s.exclusions
    pid = ex["person_id"].to_numpy()
    yield Delta("education.exclusions", pd.DataFrame({
        "exclusion_id": _serials("EX", len(ex)), "pupil_id": pupil_id.reindex(pid).to_numpy(), "upn": ident.loc[pid, "upn"].to_numpy(),
        "school_urn": ex["school_urn"].to_numpy(), "category": ex["category"].to_numpy(), "start_date": _date(ex["start_day"]),
        "sessions": np.where(ex["sessions"] > 0, ex["sessions"].astype(str), ""), "reason": ex["reason"].to_numpy(),
        "_night": ex["deliver_day"].to_numpy(), "_person_id": pid,
    }))
    at = s.attainment
    pid = at["person_id"].to_numpy()
    yield Delta("education.attainment", pd.DataFrame({
        "pupil_id": pupil_id.reindex(pid).to_numpy(), "upn": ident.loc[pid, "upn"].to_numpy(), "school_urn": at["school_urn"].to_numpy(),
        "academic_year": [academic_year_label(int(a)) for a in at["ay"]], "key_stage": at["key_stage"].to_numpy(),
        "eyfs_gld": at["gld"].to_numpy(), "ks2_rwm_expected": at["ks2"].to_numpy(), "ks4_attainment8": at["a8"].to_numpy(),
        "ks4_progress8": at["p8"].to_numpy(), "_night": at["deliver_day"].to_numpy(), "_person_id": pid,
    }))
    yield from _post16(w, ident)


def _post16(w: World, pupil_ident: pd.DataFrame) -> Iterator[Delta]:
    p16 = w.school.post16
    ids = np.unique(p16["person_id"])
    tracking_id = _agency_ids(w.rng, ids, "T", 6)
    known_upn = pupil_ident["upn"].reindex(ids).fillna("").to_numpy()
    known_upn = np.where(w.rng.random(len(ids)) < 0.7, known_upn, "")
    ident = _identities(w, "education", "tracking_id", tracking_id, {"upn": known_upn})
    sex = w.people.set_index("person_id")["sex"]
    for year, chunk in p16.groupby(p16["month_day"] // 365, sort=True):
        pid = chunk["person_id"].to_numpy()
        idn = ident.loc[pid]
        yield Delta("education.post16_activity", pd.DataFrame({
            "tracking_id": tracking_id.reindex(pid).to_numpy(), "upn": idn["upn"].to_numpy(), "surname": idn["surname"].to_numpy(),
            "forename": idn["forename"].to_numpy(), "dob": idn["dob"].to_numpy(), "sex": sex.reindex(pid).to_numpy(),
            "activity_month": _date(chunk["month_day"]), "activity": chunk["activity"].to_numpy(),
            "_night": chunk["deliver_day"].to_numpy(), "_person_id": pid,
        }))


def social_care(w: World) -> Iterator[Delta | Snapshot]:
    c = w.care
    refs = c.referrals
    first_known = c.known_from
    ids = first_known.index.to_numpy()
    person_id = _agency_ids(w.rng, ids, "C", 6)
    upn = np.where(w.rng.random(len(ids)) < 0.75, w.upn_of.reindex(ids).fillna("").to_numpy(), "")
    nhs = np.where(w.rng.random(len(ids)) < 0.92, w.person(ids, ["nhs_number"])["nhs_number"].to_numpy(), "")
    ident = _identities(w, "social_care", "pers_person_id", person_id, {"upn": upn, "nhs_number": nhs})
    people = w.people.set_index("person_id")
    ethnicity = people.loc[ids, "ethnicity"].where(w.rng.random(len(ids)) > 0.05, "NOBT")

    def persons_at(night: int) -> pd.DataFrame:
        pid = first_known.index[first_known.to_numpy() <= night].to_numpy()
        idn = ident.loc[pid]
        return pd.DataFrame({
            "pers_person_id": person_id.reindex(pid).to_numpy(), "pers_upn": idn["upn"].to_numpy(), "pers_nhs_number": idn["nhs_number"].to_numpy(),
            "pers_forename": idn["forename"].to_numpy(), "pers_surname": idn["surname"].to_numpy(), "pers_dob": idn["dob"].to_numpy(),
            "pers_sex": people.loc[pid, "sex"].to_numpy(), "pers_ethnicity": ethnicity.reindex(pid).to_numpy(),
            "pers_postcode": postcode_at(w, pid, np.full(len(pid), night)), "_person_id": pid,
        })

    yield Snapshot("social_care.ssd_person", persons_at)
    ref_id = pd.Series(_serials("R", len(refs)), index=refs["ref_id"].to_numpy())
    n = len(refs)
    rows = pd.DataFrame({
        "cine_referral_id": ref_id.to_numpy(), "cine_person_id": person_id.reindex(refs["person_id"]).to_numpy(),
        "cine_referral_date": _date(refs["ref_day"]), "cine_referral_source_code": refs["source"].to_numpy(),
        "cine_cin_primary_need_code": refs["need"].to_numpy(), "cine_close_date": _date(refs["close_day"]), "_person_id": refs["person_id"].to_numpy(),
    })
    yield Delta("social_care.ssd_cin_episodes", staged_versions(rows, [(refs["ref_day"] + _lag(w, n), []), (refs["close_day"] + _lag(w, n), ["cine_close_date"])], w.end_day))
    a = c.assessments
    n = len(a)
    a_id = _serials("AS", n)
    rows = pd.DataFrame({
        "cina_assessment_id": a_id, "cina_person_id": person_id.reindex(a["person_id"]).to_numpy(), "cina_referral_id": ref_id.reindex(a["ref_id"]).to_numpy(),
        "cina_assessment_start_date": _date(a["start_day"]), "cina_assessment_auth_date": _date(a["auth_day"]), "_person_id": a["person_id"].to_numpy(),
    })
    auth_night = a["auth_day"].to_numpy() + _lag(w, n)
    yield Delta("social_care.ssd_cin_assessments", staged_versions(rows, [(a["start_day"] + _lag(w, n), []), (auth_night, ["cina_assessment_auth_date"])], w.end_day))
    factors = pd.DataFrame({"cinf_table_id": _serials("F", n), "cinf_assessment_id": a_id, "cinf_assessment_factors_json": a["factors"].to_numpy(), "_person_id": a["person_id"].to_numpy()})
    yield Delta("social_care.ssd_assessment_factors", staged_versions(factors, [(auth_night, [])], w.end_day))
    cp = c.cp_plans
    n = len(cp)
    rows = pd.DataFrame({
        "cppl_cp_plan_id": _serials("CP", n), "cppl_referral_id": ref_id.reindex(cp["ref_id"]).to_numpy(), "cppl_person_id": person_id.reindex(cp["person_id"]).to_numpy(),
        "cppl_cp_plan_start_date": _date(cp["start_day"]), "cppl_cp_plan_end_date": _date(cp["end_day"]), "cppl_cp_plan_initial_category": cp["category"].to_numpy(),
        "_person_id": cp["person_id"].to_numpy(),
    })
    yield Delta("social_care.ssd_cp_plans", staged_versions(rows, [(cp["start_day"] + _lag(w, n), []), (cp["end_day"] + _lag(w, n), ["cppl_cp_plan_end_date"])], w.end_day))
    ep = c.cla_episodes
    n = len(ep)
    rows = pd.DataFrame({
        "clae_cla_episode_id": _serials("LA", n), "clae_person_id": person_id.reindex(ep["person_id"]).to_numpy(),
        "clae_cla_episode_start_date": _date(ep["start_day"]), "clae_cla_episode_start_reason": ep["rne"].to_numpy(),
        "clae_cla_legal_status": ep["legal_status"].to_numpy(), "clae_cla_placement_type": ep["placement"].to_numpy(),
        "clae_cla_episode_ceased_date": _date(ep["end_day"]), "clae_cla_episode_ceased_reason": ep["rec"].to_numpy(), "_person_id": ep["person_id"].to_numpy(),
    })
    yield Delta("social_care.ssd_cla_episodes", staged_versions(rows, [(ep["start_day"] + _lag(w, n), []), (ep["end_day"] + _lag(w, n), ["clae_cla_episode_ceased_date", "clae_cla_episode_ceased_reason"])], w.end_day))
    m = c.missing
    n = len(m)
    rows = pd.DataFrame({
        "miss_table_id": _serials("MS", n), "miss_person_id": person_id.reindex(m["person_id"]).to_numpy(),
        "miss_missing_episode_start_date": _date(m["start_day"]), "miss_missing_episode_type": m["type"].to_numpy(),
        "miss_missing_episode_end_date": _date(m["end_day"]), "miss_missing_rhi_offered": m["rhi_offered"].to_numpy(),
        "miss_missing_rhi_accepted": m["rhi_accepted"].to_numpy(), "_person_id": m["person_id"].to_numpy(),
    })
    closing = ["miss_missing_episode_end_date", "miss_missing_rhi_offered", "miss_missing_rhi_accepted"]
    yield Delta("social_care.ssd_missing", staged_versions(rows, [(m["start_day"] + _lag(w, n, 0, 2), []), (m["end_day"] + _lag(w, n, 2, 8), closing)], w.end_day))
    yield Delta("social_care.ssd_linked_identifiers", _linked_identifiers(w, ident, person_id, first_known))


def _linked_identifiers(w: World, ident: pd.DataFrame, person_id: pd.Series, first_known: pd.Series) -> pd.DataFrame:
    parts = []
    for kind, values, since, share in (
        ("UPN", ident["upn"], first_known, 1.0),
        ("NHS", ident["nhs_number"], first_known, 1.0),
        ("YOT", w.yot_of.reindex(ident.index).fillna(""), w.justice.detections.groupby("person_id")["outcome_day"].min().reindex(ident.index), 0.5),
    ):
        values = values.reindex(ident.index)
        keep = values.ne("").to_numpy() & (w.rng.random(len(values)) < share) & since.reindex(ident.index).notna().to_numpy()
        pid = ident.index[keep].to_numpy()
        start = np.maximum(since.reindex(pid).to_numpy(), first_known.reindex(pid).to_numpy()).astype(np.int64)
        parts.append(pd.DataFrame({"link_person_id": person_id.reindex(pid).to_numpy(), "link_identifier_type": kind,
                                   "link_identifier_value": values.reindex(pid).to_numpy(), "link_valid_from_date": _date(start),
                                   "link_valid_to_date": "", "_night": start + _lag(w, len(pid)), "_person_id": pid}))
    out = pd.concat(parts, ignore_index=True).sort_values(["_night", "link_person_id"], kind="stable", ignore_index=True)
    out.insert(0, "link_table_id", _serials("LI", len(out)))
    return out


def yos(w: World) -> Iterator[Delta | Snapshot]:
    det = w.justice.detections
    youth = det[det["outcome"].isin(YOS_OUTCOMES)]
    first_known = youth.groupby("person_id")["outcome_day"].min()
    ids = first_known.index.to_numpy()
    yot_id = _agency_ids(w.rng, ids, "Y", 5)
    w.yot_of = yot_id
    ident = _identities(w, "yos", "yot_id", yot_id)
    people = w.people.set_index("person_id")
    pnc = w.justice.pnc
    pnc_first = w.justice.detections[w.justice.detections["arrested"]].groupby("person_id")["offence_day"].min()
    pnc_recorded = pd.Series(w.rng.random(len(ids)) < 0.92, index=ids)

    def young_people_at(night: int) -> pd.DataFrame:
        pid = first_known.index[first_known.to_numpy() <= night].to_numpy()
        idn = ident.loc[pid]
        has_pnc = pnc_recorded.reindex(pid).to_numpy() & (pnc_first.reindex(pid).fillna(np.inf).to_numpy() <= night)
        return pd.DataFrame({
            "yot_id": yot_id.reindex(pid).to_numpy(), "pnc_id": np.where(has_pnc, pnc.reindex(pid).fillna("").to_numpy(), ""),
            "forename": idn["forename"].to_numpy(), "surname": idn["surname"].to_numpy(), "dob": idn["dob"].to_numpy(),
            "sex": people.loc[pid, "sex"].to_numpy(), "ethnicity": people.loc[pid, "ethnicity"].to_numpy(),
            "postcode": postcode_at(w, pid, np.full(len(pid), night)), "_person_id": pid,
        })

    yield Snapshot("yos.young_people", young_people_at)
    yo = youth[youth["outcome_day"] >= w.first_day - 365 * 3]
    yield Delta("yos.offences", pd.DataFrame({
        "offence_id": _serials("O", len(yo)), "yot_id": yot_id.reindex(yo["person_id"]).to_numpy(), "offence_date": _date(yo["offence_day"]),
        "offence_code": yo["offence_code"].to_numpy(), "outcome_date": _date(yo["outcome_day"]), "outcome": yo["outcome"].to_numpy(),
        "_night": yo["outcome_day"].to_numpy() + _lag(w, len(yo)), "_person_id": yo["person_id"].to_numpy(),
    }))
    iv = w.justice.interventions
    yield Delta("yos.interventions", pd.DataFrame({
        "intervention_id": _serials("I", len(iv)), "yot_id": yot_id.reindex(iv["person_id"]).to_numpy(), "intervention_type": iv["type"].to_numpy(),
        "start_date": _date(iv["start_day"]), "end_date": _date(iv["end_day"]), "case_worker_id": [f"YW{x:04d}" for x in iv["worker"]],
        "_night": iv["end_day"].to_numpy() + _lag(w, len(iv)), "_person_id": iv["person_id"].to_numpy(),
    }))
    nrm = w.justice.nrm[w.justice.nrm["person_id"].isin(ids)]
    n = len(nrm)
    rows = pd.DataFrame({
        "nrm_id": _serials("N", n), "yot_id": yot_id.reindex(nrm["person_id"]).to_numpy(), "referral_date": _date(nrm["referral_day"]),
        "exploitation_type": nrm["type"].to_numpy(), "reasonable_grounds_decision": nrm["rg"].to_numpy(), "reasonable_grounds_date": _date(nrm["rg_day"]),
        "conclusive_grounds_decision": nrm["cg"].to_numpy(), "conclusive_grounds_date": _date(nrm["cg_day"]),
        "safety_plan_recorded": nrm["safety_plan"].to_numpy(), "_person_id": nrm["person_id"].to_numpy(),
    })
    yield Delta("yos.nrm_referrals", staged_versions(rows, [
        (nrm["referral_day"] + _lag(w, n), []),
        (nrm["rg_day"] + _lag(w, n), ["reasonable_grounds_decision", "reasonable_grounds_date", "safety_plan_recorded"]),
        (np.where(nrm["cg_day"] >= 0, nrm["cg_day"] + _lag(w, n), -1), ["conclusive_grounds_decision", "conclusive_grounds_date"]),
    ], w.end_day))


def _crime_rows(w: World, events: pd.DataFrame, youth_victim: np.ndarray) -> pd.DataFrame:
    info = pd.read_csv(CODES_DIR / "offence.csv", dtype=str).set_index("code")
    postcodes, lsoas, wards = geography.borough_postcodes()
    where = w.rng.integers(len(lsoas), size=len(events))
    msv = info["is_most_serious_violence"].reindex(events["offence_code"]).eq("true").to_numpy()
    syv = (msv | (events["knife"].to_numpy() & events["injury"].to_numpy())) & youth_victim
    return pd.DataFrame({
        "offence_code": events["offence_code"].to_numpy(), "committed_day": events["offence_day"].to_numpy(),
        "ward_code": wards[where], "lsoa_code": lsoas[where], "knife_flag": _flag(events["knife"]), "firearm_flag": _flag(events["firearm"]),
        "domestic_abuse_flag": _flag(events["domestic"]), "syv_flag": _flag(syv), "injury_flag": _flag(events["injury"]),
    })


def police(w: World) -> Iterator[Delta]:
    j = w.justice
    det = j.detections[j.detections["offence_day"] >= w.first_day].reset_index(drop=True)
    vic = j.victimisations.rename(columns={"event_day": "offence_day"}).reset_index(drop=True)
    bg = j.background_crimes
    crimes = pd.concat([
        _crime_rows(w, det, w.rng.random(len(det)) < 0.5).assign(kind="det", k=np.arange(len(det))),
        _crime_rows(w, vic, (vic["age"] < 20).to_numpy()).assign(kind="vic", k=np.arange(len(vic))),
        _crime_rows(w, bg, w.rng.random(len(bg)) < 0.3).assign(kind="bg", k=np.arange(len(bg))),
    ], ignore_index=True).sort_values(["committed_day", "kind", "k"], kind="stable", ignore_index=True)
    years = pd.to_datetime(crimes["committed_day"], unit="D").dt.year.to_numpy()
    serial = crimes.groupby(years).cumcount().to_numpy() + 1
    crimes["crime_ref"] = [f"{s:07d}/{y % 100:02d}" for s, y in zip(serial, years)]
    crimes["recorded_day"] = crimes["committed_day"] + _lag(w, len(crimes), 0, 4)
    ref_of = {kind: crimes[crimes["kind"] == kind].set_index("k")["crime_ref"] for kind in ("det", "vic")}
    recorded_of = {kind: crimes[crimes["kind"] == kind].set_index("k")["recorded_day"] for kind in ("det", "vic")}
    for _, chunk in crimes.groupby(years, sort=True):
        yield Delta("police.crimes", pd.DataFrame({
            "crime_ref": chunk["crime_ref"].to_numpy(), "offence_code": chunk["offence_code"].to_numpy(), "committed_date": _date(chunk["committed_day"]),
            "recorded_date": _date(chunk["recorded_day"]), **{c: chunk[c].to_numpy() for c in ("ward_code", "lsoa_code", "knife_flag", "firearm_flag", "domestic_abuse_flag", "syv_flag", "injury_flag")},
            "_night": chunk["recorded_day"].to_numpy() + 1, "_person_id": -1,
        }))
    pnc_first = j.detections[j.detections["arrested"]].groupby("person_id")["offence_day"].min()
    suspects = pd.DataFrame({"person_id": det["person_id"], "day": det["offence_day"], "crime_ref": ref_of["det"].reindex(range(len(det))).to_numpy(),
                             "recorded": recorded_of["det"].reindex(range(len(det))).to_numpy(),
                             "role": np.where(det["outcome"].isin(COURT_OUTCOMES), "ACCUSED", "SUSPECT")})
    victims = pd.DataFrame({"person_id": vic["person_id"], "day": vic["offence_day"], "crime_ref": ref_of["vic"].reindex(range(len(vic))).to_numpy(),
                            "recorded": recorded_of["vic"].reindex(range(len(vic))).to_numpy(), "role": "VICTIM"})
    inv = pd.concat([suspects, victims], ignore_index=True).sort_values(["recorded", "crime_ref"], kind="stable", ignore_index=True)
    inv_id = pd.Series(_serials("V", len(inv), 8), index=inv["person_id"].to_numpy())
    ident = _identities(w, "police", "involvement_id", inv_id)
    pid = inv["person_id"].to_numpy()
    known_pnc = pnc_first.reindex(pid).fillna(np.inf).to_numpy() <= inv["day"].to_numpy()
    share = np.where(inv["role"].eq("VICTIM"), 0.5, 0.9)
    people = w.people.set_index("person_id")
    ethnicity = people.loc[pid, "ethnicity"].map(POLICE_ETHNICITY).to_numpy()
    yield Delta("police.involvements", pd.DataFrame({
        "involvement_id": inv_id.to_numpy(), "crime_ref": inv["crime_ref"].to_numpy(), "role": inv["role"].to_numpy(),
        "forename": ident["forename"].to_numpy(), "surname": ident["surname"].to_numpy(), "dob": ident["dob"].to_numpy(),
        "sex": people.loc[pid, "sex"].to_numpy(), "ethnicity": np.where(w.rng.random(len(inv)) < 0.06, "NS", ethnicity),
        "pnc_id": np.where(known_pnc & (w.rng.random(len(inv)) < share), j.pnc.reindex(pid).fillna("").to_numpy(), ""),
        "postcode": np.where(w.rng.random(len(inv)) < 0.85, postcode_at(w, pid, inv["day"].to_numpy()), ""),
        "_night": inv["recorded"].to_numpy() + _lag(w, len(inv), 1, 6), "_person_id": pid,
    }))
    arrested = det[det["arrested"]].reset_index()
    arrest_day = arrested["offence_day"].to_numpy() + _lag(w, len(arrested), 0, 8)
    arrest_id = pd.Series(_serials("A", len(arrested)), index=arrested["person_id"].to_numpy())
    ident = _identities(w, "police", "arrest_id", arrest_id)
    pid = arrested["person_id"].to_numpy()
    yield Delta("police.arrests", pd.DataFrame({
        "arrest_id": arrest_id.to_numpy(), "crime_ref": ref_of["det"].reindex(arrested["index"]).to_numpy(), "arrest_date": _date(arrest_day),
        "offence_code": arrested["offence_code"].to_numpy(), "forename": ident["forename"].to_numpy(), "surname": ident["surname"].to_numpy(),
        "dob": ident["dob"].to_numpy(), "sex": people.loc[pid, "sex"].to_numpy(), "pnc_id": j.pnc.reindex(pid).to_numpy(),
        "_night": arrest_day + 1, "_person_id": pid,
    }))
    yield Delta("police.missing_reports", _missing_reports(w))


def _missing_reports(w: World) -> pd.DataFrame:
    """Reports of missing children: most social-care missing episodes, and children unknown to it."""
    m = w.care.missing
    reported = m[(m["type"] == "M") & (w.rng.random(len(m)) < 0.85)][["person_id", "start_day", "end_day"]]
    py = person_years(w.people, w.first_day, w.end_day, 10, 17)
    others = draw_events(w.rng, py, 0.008 * np.exp(0.8 * py["risk"].clip(-3, 4).to_numpy()))
    others = others.assign(start_day=others["event_day"], end_day=others["event_day"] + w.rng.geometric(0.6, len(others)) - 1)
    rep = pd.concat([reported, others[["person_id", "start_day", "end_day"]]], ignore_index=True).sort_values(["start_day", "person_id"], kind="stable", ignore_index=True)
    report_id = pd.Series(_serials("M", len(rep)), index=rep["person_id"].to_numpy())
    ident = _identities(w, "police", "report_id", report_id)
    pid = rep["person_id"].to_numpy()
    rows = pd.DataFrame({
        "report_id": report_id.to_numpy(), "forename": ident["forename"].to_numpy(), "surname": ident["surname"].to_numpy(),
        "dob": ident["dob"].to_numpy(), "sex": w.people.set_index("person_id").loc[pid, "sex"].to_numpy(),
        "postcode": postcode_at(w, pid, rep["start_day"].to_numpy()), "reported_date": _date(rep["start_day"]),
        "found_date": _date(rep["end_day"]), "_person_id": pid,
    })
    n = len(rows)
    return staged_versions(rows, [(rep["start_day"].to_numpy() + 1, []), (rep["end_day"].to_numpy() + _lag(w, n), ["found_date"])], w.end_day)


def health(w: World) -> Iterator[Delta]:
    ref = w.semh.reset_index(drop=True)
    ids = np.unique(ref["person_id"])
    patient = _agency_ids(w.rng, ids, "H", 7)
    ident = _identities(w, "health", "patient", patient, {"nhs_number": w.person(ids, ["nhs_number"])["nhs_number"].to_numpy()})
    pid = ref["person_id"].to_numpy()
    idn = ident.loc[pid]
    referral_id = _serials("SR", len(ref))
    w.remember("health", "referral_id", referral_id, pid)
    rows = pd.DataFrame({
        "referral_id": referral_id, "nhs_number": idn["nhs_number"].to_numpy(), "forename": idn["forename"].to_numpy(), "surname": idn["surname"].to_numpy(),
        "dob": idn["dob"].to_numpy(), "sex": w.people.set_index("person_id").loc[pid, "sex"].to_numpy(),
        "postcode": postcode_at(w, pid, ref["referral_day"].to_numpy()), "service": ref["service"].to_numpy(),
        "referral_date": _date(ref["referral_day"]), "first_appointment_date": _date(ref["first_appointment_day"]), "_person_id": pid,
    })
    n = len(rows)
    appointment = ref["first_appointment_day"].to_numpy()
    yield Delta("health.semh_referrals", staged_versions(rows, [(ref["referral_day"].to_numpy() + _lag(w, n), []), (np.where(appointment >= 0, appointment + _lag(w, n), -1), ["first_appointment_date"])], w.end_day))
