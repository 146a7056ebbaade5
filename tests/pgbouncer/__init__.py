"""Tests through a real PgBouncer; :mod:`tests.pgbouncer.bouncer` runs one for any test directory."""
