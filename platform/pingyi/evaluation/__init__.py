"""Bounded context: evaluation."""
