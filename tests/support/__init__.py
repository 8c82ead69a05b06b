"""Test and benchmark support: a private Mosquitto, the load generator. Never imported by the product."""
