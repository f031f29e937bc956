"""Telephony: the provider protocol and the providers that place calls."""
