"""Pure domain core (stdlib only): no framework, no database, no clock reads."""
