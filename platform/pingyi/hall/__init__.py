"""Bounded context: the organisation — departments, halls and windows (SPEC §2, §4, §8)."""
