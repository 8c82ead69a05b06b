"""Web layer: the one table mapping domain errors to HTTP status codes (ARCHITECTURE §4)."""

from __future__ import annotations

from pingyi.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound

STATUS_FOR_ERROR: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
}


def status_for(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_FOR_ERROR:
            return STATUS_FOR_ERROR[cls]
    return 400
