#!/bin/sh
# Starts one shop service in its container (SERVICE is set by the image; the working
# directory is the service's folder): waits for its database, migrates it when MIGRATE=1,
# then runs the given command, or by default serves the service with gunicorn.
set -eu
here=$(dirname "$0")

python "$here/service.py" wait-for-database

if [ "${MIGRATE:-0}" = "1" ]; then
  python manage.py migrate --noinput
fi

if [ "$#" -eq 0 ]; then
  # All addresses, on the service's port from the service table, unless BIND says otherwise.
  BIND=$(python "$here/service.py" bind)
  # Every gunicorn worker writes its metrics here and /metrics adds them up
  # (shop_common.metrics). Emptied at each start: a restarted container's old
  # workers must not count twice. /tmp is a tmpfs or emptyDir, the image is read-only.
  PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/metrics}"
  rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  export BIND PROMETHEUS_MULTIPROC_DIR
  # --preload imports the application once in the master: a bad setting stops the
  # container at start, not in every worker, and the workers share the loaded code.
  # The log config makes gunicorn's own lines JSON too; the access lines come from our
  # request-log middleware, with the request id, so gunicorn's are switched off there.
  set -- gunicorn --config python:shop_common.gunicorn_conf --preload \
    --log-config-json "$here/gunicorn-logging.json" "${SERVICE}.wsgi:application"
fi
exec "$@"
