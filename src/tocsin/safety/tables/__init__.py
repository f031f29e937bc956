"""Curated tables of what `phonenumbers` metadata does not know. Each entry names its source;
docs/safety.md lists them all and says how an operator adds one."""
