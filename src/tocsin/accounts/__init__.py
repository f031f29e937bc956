"""Accounts: users, organizations, memberships, invites, API keys and tokens."""
