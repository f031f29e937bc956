"""The session type adapters pass from a transaction to a command.

Adapters (http, cli) may not import sqlalchemy (import-linter's forbidden contract): without
`select` they cannot write a query, so every read and write stays in a command or a query of its
concept. They still name the type of what they hand over, from here.
"""

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

# OperationalError: the database is down, unreachable or locked, which the shell says in a line.
__all__ = ["OperationalError", "Session"]
