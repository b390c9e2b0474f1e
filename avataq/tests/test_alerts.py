"""The Prometheus alert rules (deploy/prometheus/): well-formed, the thresholds the
program asks for, and every metric they name exposed by /metrics (no promtool here: this
cross-check is what proves a rule can ever fire)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
DEPLOY = BASE_DIR / "deploy" / "prometheus"
# The guide's page answering each alert: one section per rule, ``## `Name` { #name }``.
GUIDE = BASE_DIR / "docs"
RUNBOOKS = GUIDE / "src" / "ops" / "alerts.md"
ALERT_HEADING = re.compile(r"## `(?P<alert>\w+)` \{ #(?P<anchor>[a-z0-9-]+) \}")
TOKEN = "metrics-token-for-the-tests-0123456789abcdef"
# Recorded by Prometheus itself for every scrape, not by the app.
PROMETHEUS_OWN = {"up"}
PROMQL_WORDS = {
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "inf",
    "nan",
}
DURATION = re.compile(r"^\d+[smhdwy]$")


def rules() -> list[dict]:
    document = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (label matchers, grouping labels,
    durations, strings and function names taken out first)."""
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        rest = expr[match.end() :].lstrip()
        word = match.group()
        if rest.startswith("(") or word.lower() in PROMQL_WORDS:
            continue  # a function, or an operator
        names.add(word)
    return names


def exposed_names(client, settings, broker: str) -> set[str]:
    settings.METRICS_TOKEN = TOKEN
    settings.CELERY_BROKER_URL = broker  # the queue length only appears with a broker
    client.get("/health/")  # so the per-view request metrics have a sample
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    names = set()
    for line in response.content.decode().splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            names.add(name)
            if kind == "histogram":  # its series, even before its first sample
                names |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
        elif line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group())
    return names


def test_every_rule_is_well_formed():
    for rule in rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert "for" not in rule or DURATION.match(rule["for"]), rule["alert"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names))


def test_every_metric_a_rule_reads_is_exposed_by_the_app(client, settings, redis_url):
    exposed = exposed_names(client, settings, redis_url)

    unknown = {
        rule["alert"]: sorted(metric_names(rule["expr"]) - exposed - PROMETHEUS_OWN)
        for rule in rules()
    }
    assert not {alert: names for alert, names in unknown.items() if names}
    read = set().union(*(metric_names(rule["expr"]) for rule in rules()))
    assert "avataq_celery_queue_length" in read  # the parser does find names


def test_the_programs_thresholds_are_there():
    exprs = {rule["alert"]: (rule["expr"], rule["labels"]["severity"]) for rule in rules()}
    latency = "django_http_requests_latency_seconds_by_view_method_bucket"
    assert latency in exprs["SlowResponses"][0]
    assert exprs["SlowResponses"][0].rstrip().endswith("> 2")
    assert exprs["VerySlowResponses"][0].rstrip().endswith("> 5")
    assert exprs["ServerErrors"][0].rstrip().endswith("> 0.01")
    assert exprs["ManyServerErrors"][0].rstrip().endswith("> 0.05")
    assert exprs["BackupStale"][0].rstrip().endswith("> 26 * 3600")
    assert "avataq_s3_call_duration_seconds_bucket" in exprs["SlowStorage"][0]
    assert "avataq_celery_task_failures_last_hour" in exprs["TaskFailing"][0]
    for alert in ("HighCpu", "HighMemory", "DiskFilling", "OutboxFailing", "QueueStuck"):
        assert exprs[alert]
    assert {severity for _, severity in exprs.values()} == {"warning", "critical"}


def test_the_parser_reads_names_and_not_functions_or_labels():
    expr = 'sum by (le) (rate(a_bucket{status=~"5.."}[5m])) / on() b_total > 0 and up == 1'
    assert metric_names(expr) == {"a_bucket", "b_total", "up"}


def test_prometheus_configuration_reads_the_rules_beside_it():
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    job = config["scrape_configs"][0]
    assert job["job_name"] == "avataq"  # the rules' up{job="avataq"}
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer"


def runbook_address() -> re.Pattern:
    """A rule's ``runbook``: the alerts page's address in the built guide (``ops/alerts/``
    or, with ``use_directory_urls: false``, ``ops/alerts.html``) and a section's anchor."""
    config = (GUIDE / "mkdocs.yml").read_text()
    directories = re.search(r"^use_directory_urls:\s*false\b", config, re.MULTILINE) is None
    page = "ops/alerts/" if directories else "ops/alerts.html"
    return re.compile(re.escape(page) + r"#(?P<anchor>[a-z0-9-]+)")


def runbook_sections() -> list[tuple[str, str]]:
    """(anchor, alert) of every alert section of the guide's alerts page: its level-2
    headings that name something in backticks (the page's other sections do not)."""
    sections = []
    for line in RUNBOOKS.read_text().splitlines():
        if line.startswith("## `"):
            match = ALERT_HEADING.fullmatch(line.strip())
            assert match, f"an alert heading without its explicit id: {line!r}"
            sections.append((match["anchor"], match["alert"]))
    return sections


def test_every_rule_names_its_section_of_the_guide():
    sections = dict(runbook_sections())
    address = runbook_address()

    for rule in rules():
        runbook = rule["annotations"].get("runbook", "")
        match = address.fullmatch(runbook)
        assert match, f"{rule['alert']}: runbook {runbook!r}"
        assert match["anchor"] == rule["alert"].lower(), rule["alert"]
        assert sections.get(match["anchor"]) == rule["alert"], rule["alert"]


def test_every_alert_section_of_the_guide_is_a_rule():
    sections = runbook_sections()

    assert len(sections) == len(dict(sections))  # no anchor twice
    assert sorted(alert for _, alert in sections) == sorted(rule["alert"] for rule in rules())
