"""The roles an account can have. Plain data, so the CLI's `--help` can name them without
loading the database code."""

ROLES = ("family_finder", "recruitment", "panel", "decision_maker", "admin")
