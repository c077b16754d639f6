"""gunicorn settings shared by every service; each reads its numbers from the environment.

Use: `gunicorn -c python:shop_common.gunicorn_conf <service>.wsgi`.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Every upstream timeout and retry budget ends well inside this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "10"))
keepalive = 5
# Our own middleware writes one JSON line per request; gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
# Several services run side by side; gunicorn's default control socket path is shared.
control_socket_disable = True
