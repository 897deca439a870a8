"""Failure alerts: a log line, a record under reports/alerts, and the configured webhook; a dead webhook never raises."""

from __future__ import annotations

import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from youth_safety.alerts import EMAIL_ENV, SMTP_ENV, WEBHOOK_ENV, alert_record, send_alert


def test_alert_names_night_task_and_first_line_of_the_reason():
    alert = alert_record("partnership_nightly", "load", "2025-04-01", "police/2025-04-01/crimes.csv rejected under FILE-COLUMNS\ntraceback...")
    assert (alert["dag"], alert["night"], alert["task"]) == ("partnership_nightly", "2025-04-01", "load")
    assert alert["reason"] == "police/2025-04-01/crimes.csv rejected under FILE-COLUMNS"


def test_alert_is_recorded_logged_and_posted_to_the_webhook(settings, monkeypatch, caplog):
    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.handle_request, daemon=True).start()
    monkeypatch.setenv(WEBHOOK_ENV, f"http://127.0.0.1:{server.server_port}/alerts")
    alert = alert_record("partnership_nightly", "dbt_build", "2025-04-01", "dbt build failed on 1 node(s)")
    send_alert(settings, alert)
    server.server_close()
    assert received == [alert]
    lines = (settings.reports_dir / "alerts" / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [alert]
    assert "ALERT partnership_nightly night 2025-04-01: task dbt_build failed" in caplog.text


def test_an_unreachable_webhook_is_logged_not_raised(settings, monkeypatch, caplog):
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_port
    server.server_close()  # nothing listens there now
    monkeypatch.setenv(WEBHOOK_ENV, f"http://127.0.0.1:{port}/alerts")
    send_alert(settings, alert_record("partnership_nightly", "link", "2025-04-01", "vault locked"))
    assert "could not be reached" in caplog.text
    assert (settings.reports_dir / "alerts" / "alerts.jsonl").exists()


class MailServer(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message, kept in ``received``."""

    received: list[str] = []

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        while line := self.rfile.readline().decode():
            verb = line.strip().split(" ")[0].upper()
            if verb == "DATA":
                self.reply("354 go ahead")
                data = []
                while (body := self.rfile.readline().decode()) not in (".\r\n", ""):
                    data.append(body)
                MailServer.received.append("".join(data))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


def test_an_alert_is_emailed_when_addresses_are_configured(settings, monkeypatch, caplog):
    server = socketserver.TCPServer(("127.0.0.1", 0), MailServer)
    threading.Thread(target=server.handle_request, daemon=True).start()
    monkeypatch.setenv(EMAIL_ENV, "oncall@example.org")
    monkeypatch.setenv(SMTP_ENV, f"127.0.0.1:{server.server_address[1]}")
    send_alert(settings, alert_record("partnership_nightly", "publish", "2025-04-01", "the published file changed"))
    server.server_close()
    (mail,) = MailServer.received
    assert "Subject: [youth-safety] partnership_nightly night 2025-04-01: publish failed" in mail
    assert "To: oncall@example.org" in mail and '"reason": "the published file changed"' in mail
    assert "could not be sent" not in caplog.text
    monkeypatch.setenv(SMTP_ENV, f"127.0.0.1:{server.server_address[1]}")  # nothing listens any more
    send_alert(settings, alert_record("partnership_nightly", "publish", "2025-04-02", "again"))
    assert "could not be sent" in caplog.text  # logged, never raised
