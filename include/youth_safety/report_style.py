"""The house style every HTML report shares (data quality, linkage, model cards): one stylesheet,
put at the top of each report's own <style> block."""

from pathlib import Path

BASE_CSS = Path(__file__).with_name("report_base.css").read_text()
