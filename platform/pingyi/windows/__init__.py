"""Bounded context: windows."""
