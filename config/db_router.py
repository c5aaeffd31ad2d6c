"""Reads of lists, reports and exports from the read replica; everything else from the primary.

``DATABASE_REPLICA_URL`` names a streaming standby of the primary. A replica
lags by a fraction of a second, so what may read from it is decided per
request by ``ReplicaReadsMiddleware``:

- only GET and HEAD requests for the read-mostly pages (``REPLICA_PATHS``:
  defector and narrative lists and pages, reports, their exports, the API's
  reads); the admin, logins and every form post read the primary;
- never for a browser that wrote in the last ``DATABASE_READ_YOUR_WRITES_SECONDS``
  (a cookie set on each write request), so a user always sees what they have
  just saved, even on another app server;
- never after a write inside the same request (the router pins it at the
  first write).

Outside a request (management commands, the task worker, tests) every read
goes to the primary unless the code asks for ``using("replica")`` itself.
Without ``DATABASE_REPLICA_URL`` the ``replica`` alias is the primary's own
settings and nothing is routed to it.
"""

import time
from contextvars import ContextVar

from django.conf import settings

PRIMARY = "default"
REPLICA = "replica"
# The cookie that keeps a browser on the primary after a write; its value is the
# Unix time until which it does. Not signed: forging it only costs the forger speed.
RECENT_WRITE_COOKIE = "primary_until"
REPLICA_PATHS = ("/defectors/", "/narratives/", "/reports/", "/api/v1/")
SAFE_METHODS = {"GET", "HEAD"}

_read_from = ContextVar("read_from", default=PRIMARY)


def replica_configured() -> bool:
    return bool(settings.DATABASE_REPLICA_URL) and REPLICA in settings.DATABASES


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        return _read_from.get()

    def db_for_write(self, model, **hints):
        # A request that writes reads its own writes: the rest of it stays on the primary.
        _read_from.set(PRIMARY)
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None}

    def allow_migrate(self, db, app_label, **hints):
        # The replica replays the primary's WAL, migrations included.
        return db == PRIMARY


def may_read_replica(request) -> bool:
    if not replica_configured() or request.method not in SAFE_METHODS:
        return False
    if not request.path.startswith(REPLICA_PATHS):
        return False
    try:
        until = float(request.COOKIES.get(RECENT_WRITE_COOKIE, "0"))
    except ValueError:
        until = 0.0
    return until <= time.time()


def reading_from(alias, chunks):
    _read_from.set(alias)
    try:
        yield from chunks
    finally:
        _read_from.set(PRIMARY)


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        alias = REPLICA if may_read_replica(request) else PRIMARY
        token = _read_from.set(alias)
        try:
            response = self.get_response(request)
        finally:
            _read_from.reset(token)
        if response.streaming and alias == REPLICA:
            # A streamed export runs its queries after this returns, as the server sends it.
            response.streaming_content = reading_from(REPLICA, response.streaming_content)
        if replica_configured() and request.method not in SAFE_METHODS:
            seconds = settings.DATABASE_READ_YOUR_WRITES_SECONDS
            response.set_cookie(
                RECENT_WRITE_COOKIE,
                str(int(time.time()) + seconds),
                max_age=seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
