"""Database: engine and sessions, table base, migrations."""
