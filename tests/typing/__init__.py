"""Typing tests: a user's application checked by ``mypy --strict``, and the types it sees."""
