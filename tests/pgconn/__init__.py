"""Tests of pgconn: configuration, and later the connection against a real server."""
