"""Fixtures for the terminal agent tests (SPEC §4); the helpers live in terminal_helpers (a unique module name)."""

from terminal_helpers import clock, factory, harness  # noqa: F401  (pytest fixtures)
