"""Routing: which contacts an alert calls."""
