"""gunicorn settings for production: `gunicorn -c python:avataq.gunicorn_conf avataq.wsgi`."""

import multiprocessing
import os

from avataq.logformat import JSON_FORMATTER

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Threads, not sync workers: requests wait on I/O (PostgreSQL, S3, SMTP), and with sync
# workers three uploads to a hung S3 held every worker — public pages and /health/ too.
# Each worker runs GUNICORN_THREADS requests at once; every external call has a timeout
# well under `timeout` (S3 3 s to connect, the broker 3 s, SMTP 10 s).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")  # behind the TLS proxy
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


# Several workers, one /metrics: with PROMETHEUS_MULTIPROC_DIR set, each worker writes its
# figures to files there and the scrape adds them up (avataq.metrics). Emptied at start,
# a dead worker's live gauges dropped.
def on_starting(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": JSON_FORMATTER},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
