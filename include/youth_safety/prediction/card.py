"""Model cards: one self-contained HTML page per trained model version, for governance leads and practitioners.

Written to ``<home>/reports/models/<use_case>/model_card_<version>.html`` (and
``model_card_latest.html``, the newest version of the use case). A card is rendered from
the version's ``version.json`` alone (plus, when the warehouse has any, the count of
practitioners' recorded outcomes for the version): purpose, data windows, features and
exclusions, metrics beside the rule baseline, fairness by group, a calibration plot
(inline SVG), the promotion decision, limitations, the public evidence and the
human-in-the-loop statement. Aggregates only: a card holds no person key and no row about
any child, and :func:`render_card` refuses to write one that does.

The decisions of a training run go to ``<home>/reports/models/decisions_<date>.json``
(and ``decisions_latest.json``): per use case the version, its headline metrics and
whether it was promoted, and why.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from youth_safety.config import Settings

TEMPLATE = "card_template.html"
USE_CASES = ("early_identification", "reoffending")
PURPOSES = {
    "early_identification": (
        "Early identification: estimates, for each child in the current cohort, how likely they are to come to the "
        "attention of the youth justice service or children's social care for serious harm or exploitation in the "
        "period that follows, so that a practitioner can consider whether earlier, voluntary support would help."),
    "reoffending": (
        "Reoffending: estimates, for each child with a caution or conviction, how likely they are to be proven to "
        "reoffend within the following year (the proven reoffending measure), so that the youth justice service can "
        "consider whether more support is needed."),
}
PRECISION_AT = (25, 50, 100, 200)
HIGHER_IS_BETTER = {"roc_auc": True, "pr_auc": True, "brier": False}
METRIC_NAMES = {"roc_auc": "ROC AUC", "pr_auc": "PR AUC (average precision)", "brier": "Brier score",
                "base_rate": "base rate (share with the outcome)"}
DEFAULT_BOUNDS = (0.5, 2.0)
SMALL_GROUP = 100
DIMENSION_NAMES = {"ethnicity": "Ethnicity group", "ethnicity_group": "Ethnicity group", "ethnicity_major_group": "Ethnicity group",
                   "sex": "Sex", "sex_code": "Sex", "cohort_flag": "Cohort", "cohorts": "Cohort",
                   "cohort": "Cohort", "age_band": "Age band"}
FAIRNESS_RATES = ("selection_rate", "tpr", "fpr", "precision")
RATE_ALIASES = {"selection_rate": ("selection_rate",), "tpr": ("tpr", "true_positive_rate"),
                "fpr": ("fpr", "false_positive_rate"), "precision": ("precision",)}
CANONICAL_RATE = {alias: rate for rate, aliases in RATE_ALIASES.items() for alias in aliases}
RATE_NAMES = {"selection_rate": "selection rate", "tpr": "TPR", "fpr": "FPR", "precision": "precision"}
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
ABBREVIATIONS = {"fsm": "free school meals", "sen": "special educational needs", "ehcp": "EHC plan",
                 "cin": "child in need", "cla": "looked after", "cp": "child protection", "neet": "NEET",
                 "yos": "youth justice service", "semh": "social, emotional and mental health", "n": "number of",
                 "pct": "share", "ks2": "KS2", "ks4": "KS4", "eyfs": "EYFS", "nrm": "NRM", "camhs": "CAMHS",
                 "12m": "in 12 months", "3y": "in 3 years", "1y": "in a year"}
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
    "M": "male", "F": "female", "U": "unknown", "Unknown": "unknown",
}
EXCLUSION_REASONS = {
    "sex_code": "sex: a protected characteristic; used only to measure fairness",
    "ethnicity_major_group": "ethnicity: special-category data; used only to measure fairness",
    "ethnicity_code": "ethnicity: special-category data; never read by the model",
    "ethnicity_label": "ethnicity: special-category data; never read by the model",
    "birth_year": "part of the date of birth (age on the snapshot date is the feature)",
    "birth_month": "part of the date of birth (age on the snapshot date is the feature)",
}
PERSON_KEY = re.compile(r"PK\d{7}")


class CardError(ValueError):
    """A card would show something it must not (a person key) or lacks what it needs."""


def plain_name(column: str) -> str:
    """A feature's column name in plain words (``suspensions_last_12m`` -> 'Suspensions in the last 12 months')."""
    if column in FEATURE_LABELS:
        label = FEATURE_LABELS[column]
        return label[:1].upper() + label[1:]
    words = [ABBREVIATIONS.get(word, word) for word in column.lower().split("_") if word]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _number(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _features(metadata: Mapping[str, Any]) -> tuple[list[dict[str, str]], bool]:
    """Features with a plain label and, when the model has coefficients, their weight."""
    coefficients = metadata.get("coefficients") or {}
    if isinstance(coefficients, list):  # [{feature, coefficient}] or [[feature, coefficient]]
        coefficients = {(c.get("feature") or c.get("name")) if isinstance(c, Mapping) else c[0]:
                        (c.get("coefficient", c.get("weight")) if isinstance(c, Mapping) else c[1]) for c in coefficients}
    rows = []
    for feature in metadata.get("features") or []:
        if isinstance(feature, Mapping):
            name = str(feature.get("name") or feature.get("column"))
            label = feature.get("label") or feature.get("description") or feature.get("plain") or plain_name(name)
        else:
            name, label = str(feature), plain_name(str(feature))
        weight = coefficients.get(name) if isinstance(coefficients, Mapping) else None
        missing = coefficients.get(f"{name}__missing") if isinstance(coefficients, Mapping) else None
        text = _number(weight, 3) if weight is not None else "–"
        if missing is not None:
            text += f" (when not recorded: {_number(missing, 3)})"
        rows.append({"name": name, "label": str(label), "weight": text})
    return rows, bool(coefficients)


def _exclusions(metadata: Mapping[str, Any]) -> list[dict[str, str]]:
    found = metadata.get("exclusions") or []
    defined = _use_case(str(metadata.get("use_case", "")))
    implied = set(defined.excluded_features) if defined else set()
    if isinstance(found, Mapping) and ("never_features" in found or "constant_in_cohort" in found):
        implied |= set(found.get("constant_in_cohort") or [])
        found = [*(found.get("never_features") or []), *(found.get("constant_in_cohort") or [])]
    elif isinstance(found, Mapping):
        found = [{"name": k, "why": v} for k, v in found.items()]
    rows = []
    for item in found:
        if isinstance(item, Mapping):
            rows.append({"name": str(item.get("name") or item.get("column")),
                         "why": str(item.get("why") or item.get("reason") or "sensitive attribute")})
        else:
            why = EXCLUSION_REASONS.get(str(item)) or ("implied by who is scored (the same for every child in the cohort)"
                                                       if str(item) in implied else None) or ("the strategy's cohort flag (built from sex and ethnicity): used only to "
                                                       "measure fairness" if str(item).startswith(("is_", "has_")) and
                                                       str(item) not in FEATURE_LABELS else
                                                       "sensitive attribute or not informative for this cohort: never a feature")
            rows.append({"name": str(item), "why": why})
    return rows


def _metrics(metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of (measure, model, baseline), the model marked where it beats the baseline."""
    metrics = metadata.get("metrics") or {}
    model, baseline = metrics.get("model") or {}, metrics.get("baseline") or {}
    rows = []

    def add(name: str, mine: Any, theirs: Any, higher_better: bool | None, digits: int = 3) -> None:
        better = (higher_better is not None and isinstance(mine, (int, float)) and isinstance(theirs, (int, float))
                  and (mine > theirs if higher_better else mine < theirs))
        rows.append({"name": name, "model": _number(mine, digits), "baseline": _number(theirs, digits), "better": better})

    for key in ("roc_auc", "pr_auc", "brier", "base_rate"):
        if key in model or key in baseline:
            add(METRIC_NAMES[key], model.get(key), baseline.get(key), HIGHER_IS_BETTER.get(key), 4 if key == "brier" else 3)
    for what, label in (("precision", "precision"), ("recall", "recall")):
        for n in PRECISION_AT:
            mine, theirs = at_k(model, what, n), at_k(baseline, what, n)
            if mine is not None or theirs is not None:
                add(f"{label} at {n}", mine, theirs, True)
    return rows


def at_k(metrics: Mapping[str, Any], what: str, k: int) -> Any:
    """Precision or recall at review-list size k: ``at_k[k][what]`` (or the older ``<what>_at[k]``)."""
    found = (metrics.get("at_k") or {}).get(str(k)) or {}
    if what in found:
        return found[what]
    table = metrics.get(f"{what}_at") or {}
    return table.get(str(k), table.get(k))


def _ratio_out(value: Any, bounds: tuple[float, float]) -> bool:
    return isinstance(value, (int, float)) and not math.isnan(value) and not bounds[0] <= value <= bounds[1]


def _dimension(row: Mapping[str, Any]) -> tuple[str, str]:
    """The table a fairness row belongs in and its group's label: each of the strategy's cohort flags
    (a dimension of its own, groups yes/no) goes into one table of cohorts."""
    dimension, group = str(row.get("dimension", "")), str(row.get("group", ""))
    if dimension in GROUP_LABELS and group in ("yes", "no", "True", "False"):
        cohort = GROUP_LABELS[dimension]
        return "cohort", cohort if group in ("yes", "True") else f"everyone else (not {cohort})"
    return dimension, GROUP_LABELS.get(group, group)


def _fairness(metadata: Mapping[str, Any], bounds: tuple[float, float],
              small_group: int = SMALL_GROUP) -> tuple[list[dict[str, Any]], int]:
    """One table per dimension; returns the tables and how many judged ratios fall outside the bounds.

    A ratio is judged when the gate judged it (the row's ``gated``), or, for rows without that,
    when its group has at least ``small_group`` children; a ratio outside the bounds that was not
    judged is marked too, more faintly.
    """
    rows = metadata.get("fairness") or []

    def base(ratio: str) -> str:
        return CANONICAL_RATE.get(ratio[:-6], ratio[:-6])

    def rate(row: Mapping[str, Any], name: str) -> Any:
        return next((row[a] for a in RATE_ALIASES[name] if a in row), None)

    ratios = sorted({k for row in rows for k in row if k.endswith("_ratio")},
                    key=lambda k: (FAIRNESS_RATES.index(base(k)) if base(k) in FAIRNESS_RATES else 99, k))
    columns = ["children", *(RATE_NAMES[r] for r in FAIRNESS_RATES),
               *(f"{RATE_NAMES.get(base(r), base(r).replace('_', ' '))} ratio" for r in ratios)]
    tables: dict[str, dict[str, Any]] = {}
    outside = 0
    for row in rows:
        dimension, group = _dimension(row)
        table = tables.setdefault(dimension, {"name": DIMENSION_NAMES.get(dimension, dimension.replace("_", " ").capitalize()),
                                              "columns": columns, "rows": []})
        count = row.get("count", row.get("rows"))
        gated = row.get("gated")
        reference = bool(row.get("is_reference"))
        if isinstance(gated, Mapping):
            small = not reference and not any(gated.values())
        else:
            small = isinstance(count, (int, float)) and count < small_group
        cells = [{"text": _number(int(count) if isinstance(count, (int, float)) else count), "out": ""}]
        cells += [{"text": _number(rate(row, name)), "out": ""} for name in FAIRNESS_RATES]
        for ratio in ratios:
            judged = bool(gated.get(ratio[:-6])) if isinstance(gated, Mapping) else not small
            beyond = _ratio_out(row.get(ratio), bounds)
            outside += beyond and judged
            cells.append({"text": _number(row.get(ratio), 2), "out": ("out" if judged else "faint") if beyond else ""})
        table["rows"].append({"group": group, "small": small, "reference": reference, "cells": cells})
    if isinstance(metadata.get("fairness_outside_bounds"), list):
        outside = len(metadata["fairness_outside_bounds"])
    return list(tables.values()), outside


def _calibration(metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [row for row in metadata.get("calibration") or []
            if isinstance(row.get("mean_score"), (int, float)) and isinstance(row.get("observed_rate"), (int, float))]


def _axis_top(largest: float) -> float:
    """The axis runs up to the first of these at or above the largest value."""
    return next((top for top in (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0) if largest <= top), 1.0)


def calibration_svg(points: list[Mapping[str, Any]], width: int = 360, height: int = 300) -> str:
    """A reliability curve as inline SVG: mean score across, observed rate up, the ideal diagonal dashed."""
    left, right, top, bottom = 44, 10, 10, 34
    scale = _axis_top(max([0.0, *(max(p["mean_score"], p["observed_rate"]) for p in points)]))
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(v: float) -> float:
        return left + plot_w * min(v, scale) / scale

    def y(v: float) -> float:
        return top + plot_h * (1 - min(v, scale) / scale)

    parts = []
    for i in range(5):
        tick = scale * i / 4
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
                     f'<text class="tick" x="{left - 4}" y="{y(tick) + 3:.1f}" text-anchor="end">{tick:.3g}</text>'
                     f'<text class="tick" x="{x(tick):.1f}" y="{height - bottom + 13}" text-anchor="middle">{tick:.3g}</text>')
    parts.append(f'<text class="tick" x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">mean score</text>'
                 f'<text class="tick" transform="translate(10 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle">'
                 "observed rate</text>")
    parts.append(f'<line class="ideal" x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(scale):.1f}" y2="{y(scale):.1f}"/>')
    ordered = sorted(points, key=lambda p: p["mean_score"])
    if ordered:
        line = " ".join(f"{x(p['mean_score']):.1f},{y(p['observed_rate']):.1f}" for p in ordered)
        parts.append(f'<polyline class="curve" points="{line}"/>')
        largest = max(int(p.get("count") or 1) for p in ordered)
        for p in ordered:
            radius = 2.5 + 4 * math.sqrt(int(p.get("count") or 1) / largest)
            label = f"mean score {p['mean_score']:.3f}, observed {p['observed_rate']:.3f}, {int(p.get('count') or 0):,} children"
            parts.append(f'<circle class="point" cx="{x(p["mean_score"]):.1f}" cy="{y(p["observed_rate"]):.1f}" '
                         f'r="{radius:.1f}"><title>{escape(label)}</title></circle>')
    return (f'<svg class="calibration" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="Reliability curve: observed rate against mean score">{"".join(parts)}</svg>')


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(default=True),
                       undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)


def _window(metadata: Mapping[str, Any], key: str) -> dict[str, str]:
    window = metadata.get(key) or {}
    return {"from": str(window.get("from", "–")), "to": str(window.get("to", "–")),
            **{k: _number(window.get(k)) for k in ("snapshot_dates", "rows", "positives")}}


def _use_case(name: str):
    """The use case's definition (prediction.use_cases), when the core knows it."""
    try:
        from youth_safety.prediction.use_cases import get_use_case

        return get_use_case(name)
    except (ImportError, ValueError):
        return None


def _config_bounds() -> tuple[tuple[float, float], int]:
    """The promotion gate's fairness-ratio bounds and smallest gated group (PredictionConfig), alike for every version."""
    try:
        from youth_safety.config import PredictionConfig
    except ImportError:
        return DEFAULT_BOUNDS, SMALL_GROUP
    config = PredictionConfig()
    return tuple(config.fairness_ratio_bounds), int(config.fairness_min_group_rows)


def render_card(metadata: Mapping[str, Any], outcomes: Mapping[str, int] | None = None,
                written: datetime | None = None) -> str:
    """The card of one model version (its ``version.json``), with practitioners' outcome counts when any."""
    use_case, version = str(metadata.get("use_case", "")), str(metadata.get("version", ""))
    if not use_case or not version:
        raise CardError("a model version's metadata must name its use_case and version")
    configured, small_group = _config_bounds()
    point = metadata.get("operating_point") or {}
    bounds = tuple(metadata.get("fairness_bounds") or point.get("ratio_bounds") or configured)
    small_group = int(point.get("min_group_rows") or small_group)
    features, weights = _features(metadata)
    fairness, outside = _fairness(metadata, bounds, small_group)
    calibration = _calibration(metadata)
    gate = metadata.get("gate") or {}
    title_case = use_case.replace("_", " ")
    defined = _use_case(use_case)
    facts = [("use case", use_case), ("version", version), ("model type", metadata.get("model_type", "–")),
             ("trained", metadata.get("created_at", "–")), ("code version", metadata.get("code_version", "–")),
             ("random seed", metadata.get("seed", "–"))]
    cohort_text = metadata.get("cohort") or (defined.cohort_text if defined else None)
    outcome_text = metadata.get("outcome") or (defined.outcome_text if defined else None)
    if cohort_text:
        facts.append(("who is scored", cohort_text))
    if outcome_text:
        facts.append(("outcome predicted", outcome_text))
    body = _environment().get_template(TEMPLATE).render(
        title=f"Model card: {title_case}, {version}",
        subtitle=("Promoted: scores the nightly review list." if gate.get("promoted") else "Not promoted: scores no one.")
        + " Aggregate figures only; no child can be identified from this page.",
        purpose=metadata.get("purpose") or (defined.purpose if defined else PURPOSES.get(use_case, title_case)),
        facts=[(name, _number(value)) for name, value in facts],
        windows=[("training", _window(metadata, "training_window")), ("test (out of time)", _window(metadata, "test_window"))],
        features=features, weights=weights, exclusions=_exclusions(metadata),
        metrics=_metrics(metadata),
        fairness=fairness, bounds=[f"{b:g}" for b in bounds], small_group=small_group,
        top_k=int(point.get("top_k_per_snapshot_date") or 100), model_type=str(metadata.get("model_type", "")),
        selection=(metadata.get("model_selection") or {}).get("reason", ""),
        baseline_rules=list(((metadata.get("baseline") or {}).get("rules") or {}).values()),
        metrics_notes=str(metadata.get("metrics_notes") or ""),
        fairness_summary=(f"{outside} ratio(s) fall outside the bounds." if outside
                          else "Every ratio of a group large enough to judge is within the bounds."),
        calibration_svg=Markup(calibration_svg(calibration)) if calibration else "",
        calibration=[{"mean_score": _number(float(r["mean_score"])), "observed_rate": _number(float(r["observed_rate"])),
                      "count": _number(int(r.get("count") or 0))} for r in calibration],
        promoted=bool(gate.get("promoted")), reasons=[str(r) for r in gate.get("reasons") or []],
        outcomes=sorted((outcomes or {}).items()),
        limitations=[*LIMITATIONS, *(str(x) for x in metadata.get("limitations") or [])],
        use_case=use_case, version=version,
        written=(written or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
    )
    if PERSON_KEY.search(body):
        raise CardError(f"the card of {use_case} {version} would show a person key; cards hold aggregates only")
    return body


def models_dir(settings: Settings) -> Path:
    return getattr(settings, "models_dir", settings.home / "models")


def cards_dir(settings: Settings, use_case: str | None = None) -> Path:
    folder = settings.reports_dir / "models"
    return folder / use_case if use_case else folder


def version_metadata(settings: Settings, use_case: str) -> list[dict[str, Any]]:
    """Every trained version of a use case (its ``version.json``), oldest first."""
    folder = models_dir(settings) / use_case
    return [json.loads(path.read_text()) for path in sorted(folder.glob("v*/version.json"))]


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


def write_cards(settings: Settings, use_cases: Iterable[str] = USE_CASES) -> dict[str, list[Path]]:
    """(Re)write the card of every trained version of each use case, with the outcomes recorded so far."""
    from youth_safety.prediction.outcomes import outcome_counts

    written: dict[str, list[Path]] = {}
    for use_case in use_cases:
        versions = version_metadata(settings, use_case)
        counts = outcome_counts(settings, use_case)
        written[use_case] = [write_card(settings, m, counts.get(str(m["version"])), latest=i == len(versions) - 1)
                             for i, m in enumerate(versions)]
    return written


@dataclass(frozen=True)
class Decision:
    """What a training run decided for one use case: a headline, never a row about a child."""

    use_case: str
    version: str
    model_type: str
    roc_auc: float | None
    pr_auc: float | None
    precision_at_100: float | None
    baseline_precision_at_100: float | None
    promoted: bool
    reasons: list[str]
    card: str

    @classmethod
    def of(cls, settings: Settings, metadata: Mapping[str, Any]) -> "Decision":
        metrics = metadata.get("metrics") or {}
        model, baseline = metrics.get("model") or {}, metrics.get("baseline") or {}

        def at_100(found: Mapping[str, Any]) -> float | None:
            return at_k(found, "precision", 100)

        gate = metadata.get("gate") or {}
        use_case, version = str(metadata["use_case"]), str(metadata["version"])
        return cls(use_case, version, str(metadata.get("model_type", "")), model.get("roc_auc"), model.get("pr_auc"),
                   at_100(model), at_100(baseline), bool(gate.get("promoted")), [str(r) for r in gate.get("reasons") or []],
                   str(card_path(settings, use_case, version).relative_to(settings.reports_dir)))


def latest_decisions(settings: Settings, use_cases: Iterable[str] = USE_CASES) -> list[Decision]:
    """The decision on the newest version of each use case that has one."""
    return [Decision.of(settings, versions[-1]) for use_case in use_cases if (versions := version_metadata(settings, use_case))]


def write_decisions(settings: Settings, decisions: list[Decision], night: str) -> Path:
    """The run's decisions as JSON: ``decisions_<night>.json`` and ``decisions_latest.json``."""
    from dataclasses import asdict

    folder = cards_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"night": night, "decisions": [asdict(d) for d in decisions]}, indent=2) + "\n"
    path = folder / f"decisions_{night}.json"
    path.write_text(text)
    (folder / "decisions_latest.json").write_text(text)
    return path
