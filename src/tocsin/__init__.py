"""Tocsin: webhooks in, phone calls out, with the acceptable-use policy in code."""

__version__ = "0.1.0"
