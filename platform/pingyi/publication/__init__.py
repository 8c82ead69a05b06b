"""Bounded context: publication."""
