"""Outgoing e-mail: the outbox table, the letters Tocsin writes, and SMTP."""
