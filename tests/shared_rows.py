"""Rows that many tests only read, written once for all of them rather than once per test:
Django's TestCase.setUpTestData, for pytest functions.

A shared-rows fixture writes its rows into a transaction left open under the tests that
request it; each of those tests runs, as usual, in a savepoint rolled back afterwards, so
what a test writes never reaches the next one. Before the first test that does not request
the rows, the transaction is rolled back and the database is as the migrations left it:
tests that count everything never see rows they did not ask for. One set of rows is open at
a time; tests/conftest.py runs the tests of each set together, so that each set is written
about once per run, and reopens a set if a test of it comes later (run in another order).

A shared-rows fixture's name must be its own in the whole suite (tests find their set by
it): end it in ``_rows``.
"""

import pytest
from django.db import transaction


class SharedRows:
    """One set of rows (written by ``build``) and, for the set now open, its transaction."""

    by_fixture = {}
    open = None

    def __init__(self, fixture_name, build):
        if fixture_name in SharedRows.by_fixture:
            raise ValueError(f"two sets of shared rows are called {fixture_name!r}: give each its own name")
        self.fixture_name = fixture_name
        self.build = build
        self.blocker = None
        SharedRows.by_fixture[fixture_name] = self

    def write(self, blocker):
        if SharedRows.open is self:
            return
        SharedRows.close()
        self.blocker = blocker
        with blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                self.build()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
        self.atomic = atomic
        SharedRows.open = self

    @classmethod
    def close(cls):
        rows, cls.open = cls.open, None
        if rows is not None:
            with rows.blocker.unblock():
                transaction.set_rollback(True)
                rows.atomic.__exit__(None, None, None)

    @classmethod
    def wanted_by(cls, item):
        wanted = [cls.by_fixture[name] for name in getattr(item, "fixturenames", ()) if name in cls.by_fixture]
        if len(wanted) > 1:
            raise pytest.UsageError(f"{item.nodeid} requests two sets of shared rows; one test may read only one")
        return wanted[0] if wanted else None


def shared_rows(build, *, name):
    """A module-scoped fixture called ``name`` whose tests see the rows ``build`` writes,
    written once for all of them (see SharedRows). The tests need the database as usual
    (``pytest.mark.django_db`` or ``db``) and may not be transactional."""
    rows = SharedRows(name, build)

    @pytest.fixture(scope="module", name=name)
    def fixture(_shared_rows_session, django_db_blocker):
        rows.write(django_db_blocker)

    fixture.__doc__ = build.__doc__
    return fixture


def _transactional(item):
    marker = item.get_closest_marker("django_db")
    flags = marker.kwargs if marker else {}
    return (
        flags.get("transaction")
        or flags.get("reset_sequences")
        or {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
    )


def order(items):
    """After pytest-django's order (database tests, transactional ones, then the rest), the
    tests of each set of shared rows move to the front, keeping their order."""
    sets = []
    for item in items:
        rows = SharedRows.wanted_by(item)
        if rows is not None and _transactional(item):
            raise pytest.UsageError(
                f"{item.nodeid} is transactional and cannot read shared rows "
                f"({rows.fixture_name}): its rows would be flushed; write them in the test"
            )
        if rows is not None and rows not in sets:
            sets.append(rows)
    items.sort(key=lambda item: sets.index(rows) if (rows := SharedRows.wanted_by(item)) else len(sets))


def before_test(item):
    """Before the test's fixtures: close the rows it does not read; reopen rows it reads that
    an earlier test closed."""
    rows = SharedRows.wanted_by(item)
    if SharedRows.open is not rows:
        SharedRows.close()
        if rows is not None and rows.blocker is not None:
            rows.write(rows.blocker)
