"""What a proxied request costs, counted (calls, objects), never timed."""

from django.core import signals
from django.core.cache import close_caches
from django.core.handlers.wsgi import WSGIHandler
from django.db import reset_queries


def test_a_request_runs_none_of_djangos_database_or_cache_housekeeping():
    # Django's test client connects `close_old_connections` again around each request
    # it makes, so only the receivers it leaves alone are checked.
    started = {receiver for receiver, _ in signals.request_started.send(WSGIHandler, environ={})}
    finished = {receiver for receiver, _ in signals.request_finished.send(WSGIHandler)}
    assert reset_queries not in started
    assert close_caches not in finished
