"""Data-quality rules derived from the extract contracts."""
