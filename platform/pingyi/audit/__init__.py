"""Bounded context: the hash-chained audit log every office action is written to (SPEC §7)."""
