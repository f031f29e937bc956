"""Paddle Billing: signed webhooks in, subscription, payment and adjustment state out."""
