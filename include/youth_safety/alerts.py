"""Failure alerts for the partnership's DAGs: one line naming the night, task and reason.

Airflow calls ``alert_on_failure`` when a task fails for good (after its retries). It logs the
alert, appends it to ``reports/alerts/alerts.jsonl`` for the operators' record, and, when
``$YOUTH_SAFETY_ALERT_WEBHOOK`` names a URL, posts it there as JSON (a chat or paging hook);
a webhook that cannot be reached is logged, never raised, so the alert itself cannot fail the run.
Reasons are the tasks' own messages, which name files, rows and rules, never a person.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from datetime import datetime, timezone

from youth_safety.config import Settings

log = logging.getLogger(__name__)
WEBHOOK_ENV = "YOUTH_SAFETY_ALERT_WEBHOOK"
REASON_CHARS = 500


def alert_record(dag_id: str, task_id: str, night: str, reason: str, kind: str = "failed") -> dict:
    """The alert as written and sent: when, which DAG, night and task, what happened (``failed``, or ``late`` for
    a source whose files missed the cut-off) and the first line of the reason."""
    first_line = (reason.strip().splitlines() or ["no reason given"])[0][:REASON_CHARS]
    return {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "dag": dag_id, "night": night,
            "task": task_id, "kind": kind, "reason": first_line}


def send_alert(settings: Settings, alert: dict) -> None:
    """Log the alert, append it to reports/alerts/alerts.jsonl and post it to the webhook if one is configured."""
    log.error("ALERT %s night %s: task %s %s: %s", alert["dag"], alert["night"], alert["task"], alert["kind"], alert["reason"])
    folder = settings.reports_dir / "alerts"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "alerts.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(alert) + "\n")
    url = os.environ.get(WEBHOOK_ENV)
    if url:
        request = urllib.request.Request(url, data=json.dumps(alert).encode(), headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except OSError as exc:
            log.error("alert webhook %s could not be reached: %s", url, exc)


def alert_on_failure(context) -> None:
    """Airflow ``on_failure_callback``: alert with the night (the run's logical date in London), task and reason."""
    from youth_safety.airflow_env import night_of

    reason = str(context.get("exception") or "no exception recorded")
    send_alert(Settings.from_env(), alert_record(context["dag_run"].dag_id, context["task_instance"].task_id,
                                                 night_of(context).isoformat(), reason))
