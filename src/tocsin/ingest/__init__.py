"""Webhook ingest: parse what monitoring systems send and record it as alerts."""
