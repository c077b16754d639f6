# syntax=docker/dockerfile:1
# One image per service, from one Dockerfile: `docker build --build-arg SERVICE=user_svc .`
# (compose.yaml does this for each of the five). SERVICE is a name from the service table
# in common/src/shop_common/service_table.py; the image holds only that service's code and
# packages.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS python
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Stage 1: the service's pinned requirements and common/ in a virtualenv. Every pinned
# package has a binary wheel (psycopg[binary], cryptography), so no compiler is needed; the
# stage still keeps pip's work and the sources out of the final image.
FROM python AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<service>" >&2; exit 1; }
COPY requirements/ /src/requirements/
COPY common/ /src/common/
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install -r "/src/requirements/${SERVICE}.txt" /src/common

# Stage 2: what runs: that virtualenv, the container scripts and the service's code, as
# a user of its own.
FROM python AS service
ARG SERVICE
ENV SERVICE=${SERVICE} \
    PATH=/opt/venv/bin:${PATH} \
    PYTHONPATH=/app/${SERVICE} \
    SHOP_VAR_DIR=/var/lib/shop \
    DEBUG=0
RUN groupadd --system --gid 10001 shop \
 && useradd --system --uid 10001 --gid shop --no-create-home --home-dir /nonexistent shop
COPY --from=build /opt/venv /opt/venv
COPY docker/ /app/docker/
COPY ${SERVICE}/ /app/${SERVICE}/
WORKDIR /app/${SERVICE}
# Static files are collected into the image (whitenoise serves them). Importing the
# settings in local mode generates throwaway secrets and keys, so that happens in a
# scratch folder that is removed in the same layer: no secret is ever baked in.
RUN DEBUG=1 SHOP_VAR_DIR=/tmp/collect python manage.py collectstatic --noinput --verbosity 0 \
 && mkdir -p "${SHOP_VAR_DIR}" \
 && mv /tmp/collect/static "${SHOP_VAR_DIR}/static" \
 && rm -rf /tmp/collect
USER 10001:10001
# With no command it serves the service with gunicorn; with one (`python manage.py ...`)
# it runs that instead, after the same wait for the database.
ENTRYPOINT ["/app/docker/entrypoint.sh"]
