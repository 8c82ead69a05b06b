"""Adapter layer: the data files in surveys/ (SPEC §2 questionnaire and departments, §4 monthly rubric).

schema.py declares each file as msgspec Structs, errors.py words decoding problems in Chinese (file, field,
problem), load.py checks the rules that span fields and builds the core dataclasses.
"""

from pingyi.catalog.load import (
    DEPARTMENTS_FILE,
    QUESTIONNAIRE_FILE,
    QUESTIONNAIRE_TOTAL,
    RUBRIC_FILE,
    Catalog,
    load_catalog,
    load_departments,
    load_questionnaire,
    load_rubric,
)

__all__ = [
    "DEPARTMENTS_FILE",
    "QUESTIONNAIRE_FILE",
    "QUESTIONNAIRE_TOTAL",
    "RUBRIC_FILE",
    "Catalog",
    "load_catalog",
    "load_departments",
    "load_questionnaire",
    "load_rubric",
]
