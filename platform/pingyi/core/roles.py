"""Core layer: the office roles (SPEC §1, §7). admin is admitted wherever any role is."""

ROLES = ("admin", "investigator", "inspector", "liaison")
