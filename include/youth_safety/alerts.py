"""Failure alerts for the partnership's DAGs: one line naming the night, task and reason.

Airflow calls ``alert_on_failure`` when a task fails for good (after its retries). It logs the
alert, appends it to ``reports/alerts/alerts.jsonl`` for the operators' record, and, when
``$YOUTH_SAFETY_ALERT_WEBHOOK`` names a URL, posts it there as JSON (a chat or paging hook);
when ``$YOUTH_SAFETY_ALERT_EMAIL`` names addresses (comma-separated), it is e-mailed through the
SMTP server ``$YOUTH_SAFETY_SMTP_HOST`` (``host`` or ``host:port``, default port 25; sender
``$YOUTH_SAFETY_ALERT_FROM``, default ``youth-safety@localhost``). A hook or mail server that
cannot be reached is logged, never raised, so the alert itself cannot fail the run.
Reasons are the tasks' own messages, which name files, rows and rules, never a person.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import urllib.request
from email.message import EmailMessage
from datetime import datetime, timezone

from youth_safety.config import Settings

log = logging.getLogger(__name__)
WEBHOOK_ENV = "YOUTH_SAFETY_ALERT_WEBHOOK"
EMAIL_ENV, SMTP_ENV, FROM_ENV = "YOUTH_SAFETY_ALERT_EMAIL", "YOUTH_SAFETY_SMTP_HOST", "YOUTH_SAFETY_ALERT_FROM"
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
    if os.environ.get(EMAIL_ENV):
        _email(alert, os.environ[EMAIL_ENV], os.environ.get(SMTP_ENV, "localhost"))


def _email(alert: dict, recipients: str, server: str) -> None:
    """Mail the alert: the subject says what failed, the body carries the whole record."""
    message = EmailMessage()
    message["Subject"] = f"[youth-safety] {alert['dag']} night {alert['night']}: {alert['task']} {alert['kind']}"
    message["From"] = os.environ.get(FROM_ENV, "youth-safety@localhost")
    message["To"] = recipients
    message.set_content(json.dumps(alert, indent=2))
    host, _, port = server.partition(":")
    try:
        with smtplib.SMTP(host, int(port or 25), timeout=10) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("alert e-mail through %s could not be sent: %s", server, exc)


def alert_on_failure(context) -> None:
    """Airflow ``on_failure_callback``: alert with the night (the run's logical date in London), task and reason."""
    from youth_safety.airflow_env import night_of

    reason = str(context.get("exception") or "no exception recorded")
    send_alert(Settings.from_env(), alert_record(context["dag_run"].dag_id, context["task_instance"].task_id,
                                                 night_of(context).isoformat(), reason))
