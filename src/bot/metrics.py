"""What `newsdigest run` counts, for Prometheus (`metrics_port`; see docs/run.md).

The counters live in prometheus_client's default registry; `serve_metrics` exposes them over
HTTP. Counting costs next to nothing, so it is always on; serving them is a setting.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

FEEDS_POLLED = Counter("newsdigest_feeds_polled", "Feed polls, by outcome", ["status"])
ARTICLES_ANALYSED = Counter(
    "newsdigest_articles_analysed", "Articles analysed, by outcome", ["outcome"]
)
DELIVERIES = Counter(
    "newsdigest_deliveries", "Digests, notices and alerts, by kind and outcome", ["kind", "outcome"]
)
ADAPTER_UP = Gauge(
    "newsdigest_adapter_up",
    "1 while a chat adapter is connected; 0 while it is connecting, down or stopped",
    ["adapter"],
)
COMMAND_SECONDS = Histogram(
    "newsdigest_command_seconds",
    "Time to answer a chat command, by command and outcome",
    ["command", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
)
EVENT_LOOP_LAG = Gauge(
    "newsdigest_event_loop_lag_seconds", "How late the event loop last woke up (bot.loopwatch)"
)
EVENT_LOOP_LAG_MAX = Gauge(
    "newsdigest_event_loop_lag_max_seconds", "The worst event loop lag since start"
)


def serve_metrics(port: int, host: str) -> None:
    """Expose the counters at http://host:port/metrics (a thread of prometheus_client's)."""
    start_http_server(port, addr=host)
