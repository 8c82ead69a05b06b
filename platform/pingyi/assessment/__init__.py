"""The assessment context: the monthly window assessment — inspector entries, imports, month close, ranking,
escalation, publication (SPEC §4)."""
