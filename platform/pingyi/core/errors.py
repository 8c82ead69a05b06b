"""Core layer: domain errors (all SPEC sections). app.py maps each class to one HTTP status.

Every error carries a message a user can act on, in Chinese (the UI language), and optional
structured details (e.g. which items of which department are missing).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class. `message` is shown to the user as is; `details` is machine-readable."""

    status_hint = 400

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidInput(DomainError):
    """The request is malformed or breaks a rule (HTTP 400 / CLI exit 2)."""


class NotFound(DomainError):
    """The thing asked for does not exist (HTTP 404)."""


class Conflict(DomainError):
    """The request clashes with the current state, e.g. a spent card (HTTP 409)."""


class StateError(Conflict):
    """An action that the object's current state does not allow (HTTP 409)."""


class Forbidden(DomainError):
    """The user may not do this (HTTP 403)."""


class DataFileError(DomainError):
    """A data file in surveys/ is broken: names the file, the field and what is wrong."""

    def __init__(self, path: str, field: str, problem: str) -> None:
        super().__init__(f"{path}: {field}: {problem}", {"file": path, "field": field, "problem": problem})
        self.path = path
        self.field = field
        self.problem = problem
