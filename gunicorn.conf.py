"""gunicorn's settings for the tracker: `gunicorn --config gunicorn.conf.py tracker.wsgi`.

Every value can be overridden on the command line or through GUNICORN_CMD_ARGS.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Threads share a process's memory; processes use both cores. Each thread holds one database
# connection, so workers x threads must stay below PostgreSQL's max_connections on every server.
workers = int(os.environ.get("WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# An Excel workbook is read within the request; PDF reports are made by the task worker instead.
timeout = 60
graceful_timeout = 30
# An idle connection is kept open longer than the load balancer in front keeps its own (60 s on
# most), so that the balancer never sends a request down a connection gunicorn is closing at that
# moment: the request would be reset. Idle connections cost no thread in the threaded worker.
keepalive = int(os.environ.get("WEB_KEEPALIVE", "75"))
# A worker is replaced after this many requests, so that no slow growth of memory builds up.
max_requests = 2000
max_requests_jitter = 200
# Ask the proxy in front for the client's address only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
# One JSON object per line, as the tracker's own logs in production; LOG_FORMAT=text for plain lines.
if os.environ.get("LOG_FORMAT", "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
            "access": {
                "()": "tracker.log_format.AccessJsonFormatter",
                "fmt": "%(asctime)s %(name)s",
                "rename_fields": {"asctime": "time", "name": "logger"},
            },
        },
        "handlers": {
            "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
        },
        "root": {"handlers": ["error"], "level": "INFO"},
        "loggers": {
            "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }
