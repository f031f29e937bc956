"""Alerts as people see them: lists, timelines, acknowledge and resolve."""
