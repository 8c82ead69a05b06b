"""Infrastructure layer: the MQTT ingest worker — validate, store in batches, acknowledge (SPEC §4)."""
