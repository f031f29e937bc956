"""Delivery: the only place that places a call. Jobs, leases, attempts and the worker."""
