"""Agent version (SPEC §4): reported in heartbeats and status messages."""

__version__ = "0.1.0"
