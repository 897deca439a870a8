"""Nightly ingest: find the files each agency landed and load them into the raw layer."""

from youth_safety.ingest.discover import LandedFile, LandingError, landed_files
from youth_safety.ingest.load import GateFailure, SourceLoad, load_source

__all__ = ["GateFailure", "LandedFile", "LandingError", "SourceLoad", "landed_files", "load_source"]
