"""Operations: serve, migrate, demo data, the one-command run."""
