"""Backing up and restoring an SQLite database with SQLite's online backup API.

PostgreSQL has pg_dump and pg_restore, which do this better than Tocsin could; the deployment
guide (docs/deployment.md, "Backups") says how.
"""
