"""Trust and safety: the case queue, enforcement, appeals, abuse reports, anomalies, the public
forms and the staff who work them."""
