"""The linkage report for governance leads: how well records were linked, and by what model.

Written to ``<home>/reports/linkage/linkage_<night>.html``. It holds counts, rates, model
facts and Splink's model charts (offline, see :mod:`~youth_safety.linkage.charts`), and no
identifier: no name, date of birth, postcode, agency id or record key.
"""

from __future__ import annotations

import math
from pathlib import Path
from string import Template

from youth_safety.governance.report_html import Html, section, table, text, tiles
from youth_safety.linkage import registry
from youth_safety.linkage.charts import model_charts
from youth_safety.linkage.quality import LinkageQuality
from youth_safety.linkage.run import KEEP_LOW, LinkageRun
from youth_safety.report_style import BASE_CSS

TEMPLATE_PATH = Path(__file__).with_name("report_template.html")
MEASURE_HEADERS = ["precision", "recall", "F1", "true pairs", "linked pairs", "correctly linked pairs"]


def _rate(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.4f}"


def _measure_row(measures: dict[str, float]) -> list[object]:
    return [_rate(measures["precision"]), _rate(measures["recall"]), _rate(measures["f1"]),
            int(measures["true_pairs"]), int(measures["predicted_pairs"]), int(measures["agreed_pairs"])]


def _quality(quality: LinkageQuality) -> Html:
    rows = [["all records", "", *_measure_row(quality.overall)]]
    rows += [[r["source_a"], r["source_b"], *_measure_row(r)] for r in quality.by_source_pair.to_dict("records")]
    people = table(["measure", "value"], [
        ["records measured", quality.records], ["true people", quality.true_people],
        ["person keys", quality.predicted_people],
        ["completeness (true people whose records all carry one key)", _rate(quality.completeness)],
        ["purity (person keys holding one true person)", _rate(quality.purity)],
    ])
    bands = table(["match probability from", "scored pairs", "share truly the same person"],
                  [[f"{r['band']:g}", int(r["pairs"]), _rate(r["true_share"])] for r in quality.by_band.to_dict("records")],
                  empty="No scored pairs.")
    return section(
        "Linkage quality against the ground truth",
        "Measured on synthetic data against the generator's record of who is who. Precision: of the record pairs "
        "given one person key, the share that are truly one person. Recall: of the record pairs that are truly one "
        "person, the share given one key. Rows are pairs of sources, a source with itself counting pairs within it; "
        "'–' where there is nothing to measure.",
        table(["source", "with source", *MEASURE_HEADERS], rows), people,
        Html("<h3>Scored pairs by match probability</h3>"), bands,
    )


def _run(run: LinkageRun) -> Html:
    counts = tiles([
        ("records", run.records, False), ("people (person keys)", run.people, False),
        ("new records tonight", run.new_records, False), ("new person keys", run.new_keys, False),
        ("merges", run.merges, run.merges > 0), ("splits", run.splits, run.splits > 0),
        ("pairs for review", run.queue_size, False),
    ])
    facts = table(["fact", "value"], [
        ["records scored tonight", run.scored_records],
        ["scoring", "every record (full)" if run.full else "new and changed records only"],
        ["link threshold (match probability at or above)", f"{run.threshold:g}"],
        ["review band (match probability)", f"{run.review_low:g} to below {run.threshold:g}"],
        [f"scored pairs kept (match probability {min(run.review_low, KEEP_LOW):g} or more)", run.pairs_kept],
        ["links refused (conflicting NHS number, PNC id, YOT id or a reviewer's no-match)", run.refused_links],
        ["people kept apart that plain connected components would have chained together", run.chained_people],
        ["records under the largest person key", run.largest_person],
        ["keys retired", run.retired], ["reviewer decisions read", run.decisions_read],
    ])
    timings = table(["stage", "seconds"], [[stage, f"{s:.1f}"] for stage, s in run.seconds.items()])
    return section("Tonight's linkage", "People are formed from shared identifiers (UPN, NHS number, PNC id, YOT id), "
                   "reviewers' decisions and scored pairs at or above the threshold; person keys stay with the "
                   "person from night to night.", counts, facts, Html("<h3>Time per stage</h3>"), timings)


def _model(home: Path, run: LinkageRun) -> Html:
    version = next(v for v in registry.versions(home) if v.version == run.model_version)
    facts = version.facts
    rows = [["version", version.version], ["trained on the night of", version.trained_night],
            ["records trained on", version.records], ["SHA-256 of the model file", Html(f"<code>{text(version.sha256)}</code>")],
            ["method", facts.get("method", "")], ["random seed", facts.get("seed", "")],
            ["labelled pairs (sharing an identifier)", facts.get("labelled_pairs", "")],
            ["prior probability two random records match", f"{facts.get('probability_two_random_records_match', 0):.3g}"],
            ["levels never seen among labelled pairs (m set to 3/n)", "; ".join(facts.get("levels_bounded_3_over_n", []))]]
    blocking = table(["candidate pairs come from records agreeing on", "new pairs", "pairs so far"],
                     [[Html(f"<code>{text(b['rule'])}</code>"), b["pairs"], b["cumulative_pairs"]]
                      for b in facts.get("blocking", [])], empty="Not recorded.")
    charts = model_charts(registry.load(home, version))
    parts = [Html(f"<h3>{text(title)}</h3>{chart}") for title, chart in charts.items()]
    return section("The model", "Splink model trained once and reloaded nightly; the charts show how much each level "
                   "of agreement counts for or against a match (match weight), and the m and u probabilities behind it.",
                   table(["fact", "value"], rows), Html("<h3>Blocking: which record pairs are scored</h3>"), blocking, *parts)


def write_report(home: Path, quality: LinkageQuality | None, run: LinkageRun) -> Path:
    """Write the night's linkage report (quality only when measured against truth); returns its path."""
    sections = [_run(run)]
    if quality is not None:
        sections.append(_quality(quality))
    sections.append(_model(home, run))
    body = Template(TEMPLATE_PATH.read_text()).substitute(
        base_css=BASE_CSS,
        title=text(f"Record linkage report, night of {run.night:%d %B %Y}"),
        subtitle=text(f"Model {run.model_version}; no names, dates of birth, postcodes or record keys appear here."),
        body="".join(sections))
    folder = home / "reports" / "linkage"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"linkage_{run.night.isoformat()}.html"
    path.write_text(body)
    return path
