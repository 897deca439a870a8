"""Record linkage: agency person records into people with stable, non-meaningful person keys.

Reads ``person_records`` and ``record_identifiers`` in the identity vault; writes its own
vault tables (``link_*``, ``person_keys``, ``person_key_history``, ``person_key_sequence``),
versioned models under ``<home>/linkage/models``, the clerical review queue under
``<home>/vault/review`` and the linkage report under ``<home>/reports/linkage``.
"""

from youth_safety.linkage.keystore import key_history, person_key_map
from youth_safety.linkage.quality import LinkageQuality, evaluate
from youth_safety.linkage.report import write_report
from youth_safety.linkage.run import LinkageConfig, LinkageRun, run
from youth_safety.linkage.training import train

__all__ = ["LinkageConfig", "LinkageQuality", "LinkageRun", "evaluate", "key_history", "person_key_map", "run",
           "train", "write_report"]
