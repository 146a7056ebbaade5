"""The PgBouncer fixtures of :mod:`tests.pgbouncer.fixtures`, for the tests in this directory."""

from __future__ import annotations

from tests.pgbouncer.fixtures import (
    bouncer_database,
    bouncer_user,
    make_pgbouncer,
    pgbouncer_program,
    pgbouncer_version,
    statement_log,
    through_bouncer,
)

__all__ = [
    "bouncer_database",
    "bouncer_user",
    "make_pgbouncer",
    "pgbouncer_program",
    "pgbouncer_version",
    "statement_log",
    "through_bouncer",
]
