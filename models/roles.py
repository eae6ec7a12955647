"""The roles an account can have. Plain data, so the CLI's `--help` can name them without
loading the database code."""

ROLES = ("family_finder", "recruitment", "panel", "decision_maker", "oversight", "admin")
# oversight: panel chairs and the corporate parenting panel, who read aggregate reports
# (the fairness report) and no child's record.
