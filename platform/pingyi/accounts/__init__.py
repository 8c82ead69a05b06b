"""Bounded context: accounts."""
