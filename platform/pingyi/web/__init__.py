"""Web layer helpers shared by every context: access log, templating, the public pages."""
