"""Trust and safety: consent, enforcement, abuse handling and the audit log."""
