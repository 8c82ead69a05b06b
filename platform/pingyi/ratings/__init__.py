"""Bounded context: ratings — terminals, MQTT ingest, ratings, 差评 review (SPEC §4)."""
