"""Model cards: one self-contained HTML page per trained model version, for governance leads and practitioners.

Written to ``<home>/reports/models/<use_case>/model_card_<version>.html`` (and
``model_card_latest.html``, the newest version of the use case). A card is rendered from
the version's ``version.json`` alone, as ``prediction.training`` writes it (plus, when the
warehouse has any, the count of practitioners' recorded outcomes for the version): purpose,
data windows, features and exclusions, metrics beside the rule baseline, fairness by group
(the model's, and the baseline's for comparison), a reliability plot of both (inline SVG),
the promotion decision, limitations, the public evidence and the human-in-the-loop
statement. Aggregates only: a card holds no person key and no row about any child, and
:func:`render_card` refuses to write one that does.

What a training run decided is written beside the cards by ``prediction.decisions``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from youth_safety.config import PredictionConfig, Settings
from youth_safety.prediction.dataset import COHORT_FLAGS
from youth_safety.prediction.evaluation import FAIRNESS_METRICS, RATIO_NAMES
from youth_safety.prediction.registry import use_case_dir
from youth_safety.prediction.reliability_chart import reliability_svg
from youth_safety.prediction.use_cases import USE_CASES, UseCase, get_use_case
from youth_safety.report_style import BASE_CSS

TEMPLATE = "card_template.html"
METRICS = (  # (key in evaluation.evaluate_scores, name, higher is better, digits)
    ("roc_auc", "ROC AUC", True, 3),
    ("pr_auc", "PR AUC (average precision)", True, 3),
    ("brier", "Brier score", False, 4),
    ("base_rate", "base rate (share with the outcome)", None, 3),
)
RATE_NAMES = {"selection_rate": "selection rate", "true_positive_rate": "TPR", "false_positive_rate": "FPR",
              "precision": "precision"}
DIMENSION_NAMES = {"ethnicity_major_group": "Ethnicity group", "sex": "Sex", "cohort": "Cohort"}
LIMITATIONS = [
    "Trained and tested on the partnership's own records: what an agency does not record (or records late) the model "
    "cannot see, and children known to more services have more recorded about them.",
    "The outcome is what agencies recorded, not what happened: a child who was harmed or offended without it being "
    "recorded counts as a child without the outcome, and recording practice differs between groups and areas.",
    "Scores rank children against each other; they are not certainties. Most children on the list will not have the "
    "outcome, and many who will are not on it (see precision and recall at 50 to 200).",
    "Fairness is measured for the groups shown only; small groups give unstable rates, and a model within the bounds "
    "can still treat an individual child unfairly.",
    "Performance drifts as services, recording and the population change: each weekly version is tested again on the "
    "latest out-of-time window, and the card of the version in use is the one to read.",
    "On synthetic data (the demo and the tests) every figure describes the generator's invented borough, not a real one.",
]

FEATURE_LABELS = {
    "age_years": "age on the snapshot date",
    "age_first_known_to_csc": "age when first known to children's social care",
    "has_dv_factor": "domestic violence recorded in a social-care assessment",
    "has_gangs_factor": "gangs factor in a social-care assessment",
    "has_cce_factor": "child criminal exploitation factor in a social-care assessment",
    "has_cse_factor": "child sexual exploitation factor in a social-care assessment",
    "primary_schools_attended": "number of primary schools attended",
    "secondary_schools_attended": "number of secondary schools attended",
    "absence_rate_last_3_terms": "school absence rate over the last 3 terms",
    "persistent_absence_terms_last_3": "terms persistently absent, of the last 3",
    "is_persistently_absent_latest_term": "persistently absent last term",
    "is_severely_absent_latest_term": "severely absent last term",
    "suspensions_last_12m": "suspensions in the last 12 months",
    "suspensions_ever": "suspensions on record",
    "permanent_exclusions_ever": "permanent exclusions on record",
    "csc_referrals_ever": "referrals to children's social care",
    "is_child_in_need_open": "open child-in-need episode",
    "has_cp_plan_ever": "has had a child protection plan",
    "is_on_cp_plan": "on a child protection plan",
    "has_been_looked_after": "has been looked after",
    "is_looked_after": "currently looked after",
    "missing_episodes_last_12m": "missing episodes in the last 12 months",
    "missing_episodes_ever": "missing episodes on record",
    "police_victim_contacts_ever": "police contacts as a victim",
    "police_suspect_contacts_ever": "police contacts as a suspect",
    "arrests_ever": "arrests on record",
    "age_first_arrest": "age at first arrest",
    "yos_interventions_ever": "youth offending service interventions",
    "is_known_to_yos": "known to the youth offending service",
    "has_substantive_outcome": "has had a caution or conviction",
    "nrm_referrals_ever": "referrals to the National Referral Mechanism",
    "semh_referrals_ever": "referrals to mental-health (SEMH) services",
}
GROUP_LABELS = {
    "is_black_caribbean_boy": "Black Caribbean boys",
    "is_black_african_boy": "Black African boys",
    "is_mixed_white_black_boy": "mixed White and Black boys",
    "is_white_british_fsm_boy": "White British boys eligible for free school meals",
    "is_girl_or_young_woman": "girls and young women",
    "M": "male", "F": "female",
    "None": "not recorded", "nan": "not recorded",  # a missing sex or ethnicity, as evaluation's astype(str) writes it
}
EXCLUSION_REASONS = {
    "sex_code": "sex: a protected characteristic; used only to measure fairness",
    "ethnicity_major_group": "ethnicity: special-category data; used only to measure fairness",
    "ethnicity_code": "ethnicity: special-category data; never read by the model",
    "ethnicity_label": "ethnicity: special-category data; never read by the model",
    "birth_year": "part of the date of birth (age on the snapshot date is the feature)",
    "birth_month": "part of the date of birth (age on the snapshot date is the feature)",
    **{flag: "the strategy's cohort flag (built from sex and ethnicity): used only to measure fairness"
       for flag in COHORT_FLAGS},
}
IMPLIED_BY_COHORT = "implied by who is scored (the same for every child in the cohort)"
PERSON_KEY = re.compile(r"PK\d{7}")


class CardError(ValueError):
    """A card would show something it must not (a person key) or lacks what it needs."""


def plain_name(column: str) -> str:
    """A feature's column name in plain words (``suspensions_last_12m`` -> 'Suspensions in the last 12 months')."""
    label = FEATURE_LABELS.get(column, column.replace("_", " "))
    return label[:1].upper() + label[1:]


def _number(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _features(metadata: Mapping[str, Any]) -> list[dict[str, str]]:
    """Features with a plain label and their logistic-regression weight (and the weight of 'not recorded')."""
    coefficients = metadata.get("coefficients") or {}
    rows = []
    for name in metadata["features"]:
        weight = _number(coefficients.get(name), 3)
        if f"{name}__missing" in coefficients:
            weight += f" (when not recorded: {_number(coefficients[f'{name}__missing'], 3)})"
        rows.append({"name": name, "label": plain_name(name), "weight": weight})
    return rows


def _exclusions(metadata: Mapping[str, Any]) -> list[dict[str, str]]:
    """``exclusions.never_features`` (sensitive attributes) and ``constant_in_cohort``, each with why."""
    exclusions = metadata["exclusions"]
    rows = [{"name": name, "why": EXCLUSION_REASONS.get(name, "a sensitive attribute: never a feature")}
            for name in exclusions.get("never_features") or []]
    rows += [{"name": name, "why": IMPLIED_BY_COHORT} for name in exclusions.get("constant_in_cohort") or []]
    return rows


def at_k(metrics: Mapping[str, Any], what: str, k: int) -> Any:
    """Precision or recall at review-list size k (``metrics["at_k"][str(k)][what]``), None when not measured."""
    return ((metrics.get("at_k") or {}).get(str(k)) or {}).get(what)


def _metrics(metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of (measure, model, baseline), the model marked where it beats the baseline."""
    model, baseline = metadata["metrics"]["model"], metadata["metrics"]["baseline"]
    rows = []

    def add(name: str, mine: Any, theirs: Any, higher_better: bool | None, digits: int = 3) -> None:
        better = (higher_better is not None and isinstance(mine, (int, float)) and isinstance(theirs, (int, float))
                  and (mine > theirs if higher_better else mine < theirs))
        rows.append({"name": name, "model": _number(mine, digits), "baseline": _number(theirs, digits), "better": better})

    for key, name, higher_better, digits in METRICS:
        add(name, model.get(key), baseline.get(key), higher_better, digits)
    sizes = sorted(int(k) for k in model.get("at_k") or {})  # the review-list sizes the version was evaluated at
    for what in ("precision", "recall"):
        for k in sizes:
            add(f"{what} at {k}", at_k(model, what, k), at_k(baseline, what, k), True)
    return rows


def _group(row: Mapping[str, Any]) -> tuple[str, str]:
    """The table a fairness row belongs in and its group's label: each of the strategy's cohort flags
    (a dimension of its own, groups yes/no) goes into one table of cohorts."""
    dimension, group = row["dimension"], row["group"]
    if dimension in COHORT_FLAGS:
        cohort = GROUP_LABELS[dimension]
        return "cohort", cohort if group == "yes" else f"everyone else (not {cohort})"
    return dimension, GROUP_LABELS.get(group, group)


def _fairness(rows: list[Mapping[str, Any]], bounds: tuple[float, float]) -> list[dict[str, Any]]:
    """One table per dimension of ``evaluation.fairness`` records.

    A ratio outside the bounds is marked "out" when the gate judges it (the record's ``gated``)
    and "faint" when it does not (a group too small to judge, or a rate the gate does not judge).
    """
    columns = ["children", *(RATE_NAMES[m] for m in FAIRNESS_METRICS), *(f"{RATE_NAMES[m]} ratio" for m in FAIRNESS_METRICS)]
    tables: dict[str, dict[str, Any]] = {}
    for row in rows:
        dimension, group = _group(row)
        table = tables.setdefault(dimension, {"name": DIMENSION_NAMES.get(dimension, dimension), "columns": columns,
                                              "rows": []})
        gated = row["gated"]
        cells = [{"text": _number(row["count"]), "out": ""}]
        cells += [{"text": _number(row[m]), "out": ""} for m in FAIRNESS_METRICS]
        for m in FAIRNESS_METRICS:
            ratio = row[RATIO_NAMES[m]]
            beyond = ratio is not None and not bounds[0] <= ratio <= bounds[1]
            cells.append({"text": _number(ratio, 2), "out": ("out" if gated.get(m) else "faint") if beyond else ""})
        table["rows"].append({"group": group, "reference": row["is_reference"],
                              "small": not row["is_reference"] and not any(gated.values()), "cells": cells})
    return list(tables.values())


def _calibration_rows(bins: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [{"mean_score": _number(b["mean_score"]), "observed_rate": _number(b["observed_rate"]),
             "count": _number(b["count"])} for b in bins]


def _window(window: Mapping[str, Any]) -> dict[str, str]:
    return {"from": window["from"], "to": window["to"],
            **{k: _number(window[k]) for k in ("snapshot_dates", "rows", "positives")}}


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(default=True),
                       undefined=StrictUndefined)


def _use_case(metadata: Mapping[str, Any]) -> UseCase:
    try:
        return get_use_case(str(metadata.get("use_case", "")))
    except ValueError as exc:
        raise CardError(f"a model version's metadata must name a known use case: {exc}") from None


def render_card(metadata: Mapping[str, Any], outcomes: Mapping[str, int] | None = None,
                written: datetime | None = None) -> str:
    """The card of one model version (its ``version.json``), with practitioners' outcome counts when any.

    Purpose, title, cohort and outcome are the version's own (``prediction.use_cases`` for a
    version that did not record them); the fairness bounds, smallest judged group and review-list
    size are the version's ``operating_point`` (``PredictionConfig`` for one that did not).
    """
    defined = _use_case(metadata)
    use_case, version = defined.name, str(metadata.get("version") or "")
    if not version:
        raise CardError("a model version's metadata must name its version")
    config = PredictionConfig()
    point = metadata.get("operating_point") or {}
    bounds = tuple(point.get("ratio_bounds") or config.fairness_ratio_bounds)
    gate = metadata["gate"]
    calibration, baseline_calibration = metadata.get("calibration") or [], metadata.get("baseline_calibration") or []
    curves = {"model": calibration, **({"rule baseline": baseline_calibration} if baseline_calibration else {})}
    facts = [("use case", use_case), ("version", version), ("model type", metadata["model_type"]),
             ("trained", metadata["created_at"]), ("code version", metadata["code_version"]),
             ("random seed", metadata["seed"]),
             ("who is scored", metadata.get("cohort") or defined.cohort_text),
             ("outcome predicted", metadata.get("outcome") or defined.outcome_text)]
    body = _environment().get_template(TEMPLATE).render(
        base_css=BASE_CSS,
        title=f"Model card: {metadata.get('title') or defined.title}, {version}",
        subtitle=("Promoted: scores the nightly review list." if gate["promoted"] else "Not promoted: scores no one.")
        + " Aggregate figures only; no child can be identified from this page.",
        purpose=metadata.get("purpose") or defined.purpose,
        facts=[(name, _number(value)) for name, value in facts],
        windows=[("training", _window(metadata["training_window"])),
                 ("test (out of time)", _window(metadata["test_window"]))],
        features=_features(metadata), weights=bool(metadata.get("coefficients")), exclusions=_exclusions(metadata),
        metrics=_metrics(metadata),
        fairness=_fairness(metadata["fairness"], bounds),
        baseline_fairness=_fairness(metadata.get("baseline_fairness") or [], bounds),
        bounds=[f"{b:g}" for b in bounds],
        small_group=int(point.get("min_group_rows") or config.fairness_min_group_rows),
        top_k=int(point.get("top_k_per_snapshot_date") or config.operating_point_top_k),
        model_type=str(metadata["model_type"]),
        selection=(metadata.get("model_selection") or {}).get("reason", ""),
        baseline_rules=list(((metadata.get("baseline") or {}).get("rules") or {}).values()),
        metrics_notes=str(metadata.get("metrics_notes") or ""),
        outside=len(metadata.get("fairness_outside_bounds") or []),
        calibration_svg=reliability_svg(curves) if calibration else "",
        calibration=_calibration_rows(calibration), baseline_calibration=_calibration_rows(baseline_calibration),
        promoted=bool(gate["promoted"]), reasons=[str(r) for r in gate.get("reasons") or []],
        outcomes=sorted((outcomes or {}).items()),
        limitations=LIMITATIONS,
        use_case=use_case, version=version,
        written=(written or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
    )
    if PERSON_KEY.search(body):
        raise CardError(f"the card of {use_case} {version} would show a person key; cards hold aggregates only")
    return body


def cards_dir(settings: Settings, use_case: str | None = None) -> Path:
    folder = settings.reports_dir / "models"
    return folder / use_case if use_case else folder


def version_metadata(settings: Settings, use_case: str) -> list[dict[str, Any]]:
    """Every trained version of a use case (its ``version.json``), oldest first."""
    return [json.loads(path.read_text()) for path in sorted(use_case_dir(settings, use_case).glob("v*/version.json"))]


def card_path(settings: Settings, use_case: str, version: str) -> Path:
    return cards_dir(settings, use_case) / f"model_card_{version}.html"


def write_card(settings: Settings, metadata: Mapping[str, Any], outcomes: Mapping[str, int] | None = None,
               latest: bool = False) -> Path:
    """Write one version's card (and, when ``latest``, the use case's ``model_card_latest.html``)."""
    body = render_card(metadata, outcomes)
    path = card_path(settings, str(metadata["use_case"]), str(metadata["version"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    if latest:
        path.with_name("model_card_latest.html").write_text(body)
    return path


def write_cards(settings: Settings, use_cases: Iterable[str] = tuple(USE_CASES)) -> dict[str, list[Path]]:
    """(Re)write the card of every trained version of each use case, with the outcomes recorded so far."""
    from youth_safety.prediction.outcomes import outcome_counts

    written: dict[str, list[Path]] = {}
    for use_case in use_cases:
        versions = version_metadata(settings, use_case)
        counts = outcome_counts(settings, use_case)
        written[use_case] = [write_card(settings, m, counts.get(str(m["version"])), latest=i == len(versions) - 1)
                             for i, m in enumerate(versions)]
    return written
