"""Webhook endpoints and the contacts they call."""
