"""The nightly data-quality report, written from a warehouse whose audit tables look like a real night."""

from __future__ import annotations

import csv
import hashlib
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

import pytest

from youth_safety.config import Settings
from youth_safety.governance.register import register
from youth_safety.governance.report import ReportError, conserved, write_report
from youth_safety.quality.rules import CATALOGUE
from youth_safety.warehouse import connect, ensure_schema

NIGHT = date(2024, 5, 3)
HISTORY_NIGHTS = 35
FORMULA = '=HYPERLINK("http://x","y")'
SCRIPT = "<script>alert(1)</script>"
NAME, UPN = "Zebedee", "A801200001001"
QUARANTINE_HEADERS = ("Source", "Rule", "What it means", "Rows", "Columns involved")
FILE_LOAD_COLUMNS = (
    "load_id", "run_night", "source", "extract", "file_name", "extract_night", "delivered_night", "file_checksum",
    "status", "rows_received", "rows_loaded", "rows_quarantined", "rows_excluded", "rejection_rule",
    "rejection_reason", "dropped_columns", "withheld_columns", "started_at", "finished_at",
)


def file_load(source: str, extract: str, night: date, received: int, loaded: int | None = None, quarantined: int = 0,
              excluded: int = 0, status: str = "loaded", **details) -> dict:
    """An audit.file_loads row for a file delivered and judged on its own night."""
    started = datetime.combine(night, datetime.min.time()) + timedelta(hours=1)
    return {
        "load_id": f"{source}.{extract}.{night}.{0:012d}",
        "run_night": night, "source": source, "extract": extract,
        "file_name": f"{source}/{night}/{extract}_{night:%Y%m%d}.csv",
        "extract_night": night, "delivered_night": night, "file_checksum": "0" * 64, "status": status,
        "rows_received": received,
        "rows_loaded": received - quarantined - excluded if loaded is None else loaded,
        "rows_quarantined": quarantined, "rows_excluded": excluded,
        "rejection_rule": None, "rejection_reason": None, "dropped_columns": [], "withheld_columns": [],
        "started_at": started, "finished_at": started + timedelta(seconds=5),
    } | details


HISTORY = [
    file_load(source, extract, NIGHT - timedelta(days=back), 100 + back, quarantined=back % 3, excluded=1)
    for back in range(1, HISTORY_NIGHTS + 1)
    for source, extract in [("education", "pupils"), ("social_care", "ssd_person"), ("yos", "young_people"),
                            ("police", "crimes"), ("health", "semh_referrals")]
]
PUPILS = file_load("education", "pupils", NIGHT, 120, quarantined=5, excluded=2,
                   dropped_columns=["shoe_size", "=cmd|' /C calc'!A0"])
ATTENDANCE = file_load("education", "attendance", NIGHT, 40)
SSD_PERSON = file_load("social_care", "ssd_person", NIGHT, 25, loaded=0, status="rejected",
                       rejection_rule="FILE-COLUMNS",
                       rejection_reason="The header lacks pers_dob (columns found: pers_person_id, pers_upn).")
SSD_EPISODES = file_load("social_care", "ssd_cin_episodes", NIGHT, 0, status="blocked")  # held unread
YOUNG_PEOPLE = file_load("yos", "young_people", NIGHT, 50, excluded=4, withheld_columns=["ethnicity"])
CRIMES = file_load("police", "crimes", NIGHT, 80)
ARRESTS = file_load("police", "arrests", NIGHT, 12, loaded=12, status="rejected", rejection_rule="FILE-VOLUME",
                    rejection_reason="12 rows against a median of 400.")  # fabricated: a refused file that loaded rows
TONIGHT = [PUPILS, ATTENDANCE, SSD_PERSON, SSD_EPISODES, YOUNG_PEOPLE, CRIMES, ARRESTS]  # nothing from health

# (row, rule, column, masked value) of the pupils file: 5 rows, 4 rules.
QUARANTINE = [
    (3, "TXT-FORMULA", "year_group", FORMULA),
    (7, "CON-TYPE", "school_urn", SCRIPT),
    (7, "CON-TYPE", "entry_date", "2024-13-45"),
    (9, "CON-TYPE", "school_urn", "ABC"),
    (11, "TXT-LENGTH", "forename", NAME),
    (12, "FMT-UPN", "upn", UPN),
    (12, "FMT-UPN", "former_upn", UPN),
]
WARNINGS = [(CRIMES, 4, "DAT-RANGE", "committed_date"), (CRIMES, 9, "DAT-RANGE", "recorded_date")]
EXCLUSIONS = [(PUPILS, 20, "GDPR-AGE"), (PUPILS, 21, "GDPR-OBJECTION")] + [
    (YOUNG_PEOPLE, row, "GDPR-AGE" if row < 4 else "GDPR-RETENTION") for row in range(1, 5)
]


def insert_file_loads(settings: Settings, rows: list[dict]) -> None:
    with connect(settings.warehouse_path) as con:
        ensure_schema(con)
        placeholders = ", ".join(f"${c}" for c in FILE_LOAD_COLUMNS)
        con.executemany(f"insert into audit.file_loads ({', '.join(FILE_LOAD_COLUMNS)}) values ({placeholders})", rows)


def build_warehouse(settings: Settings) -> None:
    insert_file_loads(settings, HISTORY + TONIGHT)
    with connect(settings.warehouse_path) as con:
        con.executemany(
            "insert into audit.quarantine (load_id, source, extract, file_name, source_row_number, rule_code, column_name, masked_value) "
            "values (?, ?, ?, ?, ?, ?, ?, ?)",
            [(PUPILS["load_id"], "education", "pupils", PUPILS["file_name"], *row) for row in QUARANTINE],
        )
        con.executemany(
            "insert into audit.gdpr_exclusions values (?, ?, ?, ?, ?, ?)",
            [(f["load_id"], f["source"], f["extract"], f["file_name"], row, code) for f, row, code in EXCLUSIONS],
        )
        con.executemany(
            "insert into audit.rule_warnings values (?, ?, ?, ?, ?, ?, ?)",
            [(f["load_id"], f["source"], f["extract"], f["file_name"], *finding) for f, *finding in WARNINGS],
        )


class Tables(HTMLParser):
    """Every table of a page as rows of cell texts, headers included."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.in_cell = False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.tables[-1][-1].append("")
            self.in_cell = True

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.in_cell = False

    def handle_data(self, data):
        if self.in_cell:
            self.tables[-1][-1][-1] += data


def table_with(page: str, *headers: str) -> list[dict[str, str]]:
    """The rows of the page's table whose headers start with these, as dicts by header."""
    for rows in Tables(page).tables:
        if tuple(rows[0][: len(headers)]) == headers:
            return [dict(zip(rows[0], row)) for row in rows[1:]]
    raise AssertionError(f"no table headed {headers}")


@pytest.fixture
def written(settings: Settings) -> tuple[str, list[dict[str, str]], str]:
    """The page, the CSV rows and the CSV text of the night."""
    build_warehouse(settings)
    path = write_report(settings, NIGHT)
    assert path == settings.reports_dir / "data_quality_2024-05-03.html"
    csv_text = path.with_suffix(".csv").read_text(encoding="utf-8")
    return path.read_text(encoding="utf-8"), list(csv.DictReader(csv_text.splitlines())), csv_text


def test_overview_counts_files_and_rows_per_source(written):
    page, _, _ = written
    by_source = {row["Source"]: row for row in table_with(page, "Source", "Tonight", "Files loaded")}
    assert by_source["education"] == {
        "Source": "education", "Tonight": "on time", "Files loaded": "2", "Rejected": "0", "Blocked": "0",
        "Rows received": "160", "Loaded": "153", "Quarantined": "5", "Excluded": "2", "Balances": "pass",
    }
    assert (by_source["social_care"]["Rejected"], by_source["social_care"]["Blocked"]) == ("1", "1")
    assert by_source["police"]["Balances"] == "fail"
    assert (by_source["health"]["Tonight"], by_source["health"]["Balances"]) == ("late", "no files")
    assert by_source["social_care"]["Rows received"] == "25"


def test_file_table_marks_conservation_per_file(written):
    page, csv_rows, _ = written
    checks = {row["Extract"]: row["Check"] for row in table_with(page, "Source", "Extract")}
    assert checks == {"pupils": "pass", "attendance": "pass", "ssd_person": "pass", "ssd_cin_episodes": "pass",
                      "young_people": "pass", "crimes": "pass", "arrests": "fail"}
    assert {row["extract"]: row["conservation"] for row in csv_rows} == checks
    pupils = next(row for row in csv_rows if row["extract"] == "pupils")
    assert (pupils["rows_received"], pupils["rows_loaded"], pupils["rows_quarantined"], pupils["rows_excluded"]) == (
        "120", "113", "5", "2")


def test_a_loaded_file_that_loses_rows_fails_the_check():
    assert not conserved(PUPILS | {"rows_loaded": 112})
    assert conserved(PUPILS)


def test_quarantine_by_rule_with_catalogue_message_count_and_columns(written):
    page, _, _ = written
    rules = {row["Rule"]: row for row in table_with(page, *QUARANTINE_HEADERS)}
    assert set(rules) == {"TXT-FORMULA", "CON-TYPE", "TXT-LENGTH", "FMT-UPN"}
    con_type = rules["CON-TYPE"]
    assert con_type["What it means"] == CATALOGUE["CON-TYPE"].message
    assert con_type["Rows"] == "2"  # row 7 fails on two columns and counts once
    assert con_type["Columns involved"] == "pupils.entry_date (1); pupils.school_urn (2)"
    assert rules["FMT-UPN"]["Rows"] == "1"
    assert rules["FMT-UPN"]["Columns involved"] == "pupils.former_upn (1); pupils.upn (1)"
    assert rules["FMT-UPN"]["Example values"] == ""


def test_rule_warnings_are_listed_apart(written):
    page, _, _ = written
    (warning,) = table_with(page, "Source", "Rule (warning only)")
    assert warning == {"Source": "police", "Rule (warning only)": "DAT-RANGE", "Rows": "2",
                       "What it means": CATALOGUE["DAT-RANGE"].message,
                       "Columns involved": "crimes.committed_date (1); crimes.recorded_date (1)"}


def test_findings_of_a_blocked_file_belong_to_the_night_it_loaded(settings):
    build_warehouse(settings)
    blocked_before = {"run_night": NIGHT - timedelta(days=1), "status": "blocked", "rows_received": 0,
                      "rows_loaded": 0, "rows_quarantined": 0, "rows_excluded": 0, "dropped_columns": []}
    insert_file_loads(settings, [PUPILS | blocked_before])  # pupils was held the night before, loaded tonight
    page = write_report(settings, NIGHT - timedelta(days=1)).read_text()
    assert "No rows were quarantined tonight." in page and "No GDPR exclusions tonight." in page


def test_gdpr_exclusions_by_rule_with_messages(written):
    page, _, _ = written
    rows = table_with(page, "Source", "Rule", "What it means", "Rows", "Extracts")
    assert [(r["Source"], r["Rule"], r["Rows"], r["Extracts"]) for r in rows] == [
        ("education", "GDPR-AGE", "1", "pupils (1)"),
        ("education", "GDPR-OBJECTION", "1", "pupils (1)"),
        ("yos", "GDPR-AGE", "3", "young_people (3)"),
        ("yos", "GDPR-RETENTION", "1", "young_people (1)"),
    ]
    assert all(r["What it means"] == CATALOGUE[r["Rule"]].message for r in rows)


def test_rejected_and_blocked_files_with_their_reasons(written):
    page, _, _ = written
    rejected = table_with(page, "Source", "Rejected file")
    assert [(r["Rejected file"], r["Rule"], r["Reason"]) for r in rejected] == [
        (SSD_PERSON["file_name"], "FILE-COLUMNS", SSD_PERSON["rejection_reason"]),
        (ARRESTS["file_name"], "FILE-VOLUME", ARRESTS["rejection_reason"]),
    ]
    assert rejected[0]["What it means"] == CATALOGUE["FILE-COLUMNS"].message
    blocked = table_with(page, "Source", "Blocked file")
    assert blocked == [{"Source": "social_care", "Blocked file": SSD_EPISODES["file_name"],
                        "Held because this file was rejected": SSD_PERSON["file_name"]}]


def test_dropped_and_withheld_columns_by_name(written):
    page, csv_rows, _ = written
    rows = {r["File"]: r for r in table_with(page, "Source", "File")}
    assert rows[PUPILS["file_name"]]["Dropped columns (names only)"] == "shoe_size '=cmd|' /C calc'!A0"
    assert rows[YOUNG_PEOPLE["file_name"]]["Withheld special-category columns"] == "ethnicity"
    pupils = next(row for row in csv_rows if row["extract"] == "pupils")
    assert pupils["dropped_columns"] == "shoe_size; =cmd|' /C calc'!A0"  # not leading: the cell is safe


def test_dangerous_values_are_escaped_and_neutralised(written):
    page, _, csv_text = written
    assert SCRIPT not in page and "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "=HYPERLINK" not in page.replace("&#x27;=HYPERLINK", "")
    assert "&#x27;=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)" in page
    cells = [cell for row in csv.reader(csv_text.splitlines()) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]


def test_page_is_self_contained_and_the_warehouse_untouched(settings):
    build_warehouse(settings)
    before = hashlib.sha256(settings.warehouse_path.read_bytes()).hexdigest()
    page = write_report(settings, NIGHT).read_text()
    assert hashlib.sha256(settings.warehouse_path.read_bytes()).hexdigest() == before
    assert not re.search(r"<script|\b(src|href)=|@import|url\(", page, re.IGNORECASE)


def test_a_formula_at_the_start_of_a_csv_cell_is_neutralised(settings):
    insert_file_loads(settings, [file_load("police", "crimes", NIGHT, 3, dropped_columns=[FORMULA])])
    csv_path = write_report(settings, NIGHT).with_suffix(".csv")
    (written_row,) = csv.DictReader(csv_path.read_text().splitlines())
    assert written_row["dropped_columns"] == "'" + FORMULA


def test_identifier_values_never_reach_page_or_csv(written):
    page, _, csv_text = written
    for value in (NAME, UPN):
        assert value not in page and value not in csv_text
    assert "pupils.forename (1)" in page  # the rule, column and count are still reported


def test_freshness_flags_a_source_with_no_file_tonight(written):
    page, _, _ = written
    rows = table_with(page, "Source", "Tonight", "Extract")
    fresh = {r["Extract"]: r for r in rows}
    assert fresh["semh_referrals"]["Latest extract night loaded"] == "2024-05-02"
    assert fresh["semh_referrals"]["Age (days)"] == "1"
    assert fresh["semh_referrals"]["Files tonight"] == "no file"
    assert next(r for r in rows if r["Source"] == "health")["Tonight"] == "late"
    assert (fresh["pupils"]["Age (days)"], fresh["pupils"]["Files tonight"]) == ("0", "loaded")
    assert fresh["ssd_person"]["Latest extract night loaded"] == "2024-05-02"  # tonight's was rejected
    assert fresh["ssd_person"]["Files tonight"] == "rejected"
    assert fresh["exclusions"]["Latest extract night loaded"] == "never loaded"
    assert next(r for r in rows if r["Source"] == "education")["Tonight"] == "on time"


def test_trend_chart_has_one_point_per_night_per_series(written):
    page, _, _ = written
    charts = re.findall(r"<figure><figcaption>(\w+)</figcaption>(<svg.*?</svg>)", page)
    assert [source for source, _ in charts] == ["education", "social_care", "yos", "police", "health"]
    for _, svg in charts:
        series = re.findall(r'data-series="(\w+)"[^>]*points="([^"]*)"', svg)
        assert [name for name, _ in series] == ["received", "loaded", "quarantined", "excluded"]
        assert all(len(points.split()) == 30 for _, points in series)
        nights = re.findall(r"<title>(\w{3} \d\d \w{3} \d{4}):", svg)
        assert len(nights) == 30 and (nights[0], nights[-1]) == ("Thu 04 Apr 2024", "Fri 03 May 2024")
    education = dict(charts)["education"]
    assert "Fri 03 May 2024: received 160; loaded 153; quarantined 5; excluded 2" in education
    health = dict(charts)["health"]
    assert "Fri 03 May 2024: received 0; loaded 0; quarantined 0; excluded 0" in health
    assert "Thu 02 May 2024: received 101; loaded 99; quarantined 1; excluded 1" in health


def test_register_of_lawful_bases_is_shown(written):
    page, _, _ = written
    health = next(r for r in table_with(page, "Source", "Controller") if r["Source"] == "health")
    assert health["Article 9 condition"].startswith("UK GDPR Art. 9(2)(h)")
    assert health["Retention"] == f"{register()['health'].retention_years} years"


def test_no_warehouse_or_no_audit_tables_is_a_clear_error(settings):
    with pytest.raises(ReportError, match="no warehouse"):
        write_report(settings, NIGHT)
    with connect(settings.warehouse_path):
        pass
    with pytest.raises(ReportError, match="no audit tables"):
        write_report(settings, NIGHT)


def test_cli_writes_the_report_and_prints_its_path(settings, cli, monkeypatch):
    monkeypatch.setenv("YOUTH_SAFETY_HOME", str(settings.home))
    done = cli("report", "--date", NIGHT.isoformat())
    assert done.returncode == 1 and "No warehouse" in done.stderr
    build_warehouse(settings)
    done = cli("report", "--date", NIGHT.isoformat())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(settings.reports_dir / "data_quality_2024-05-03.html")
