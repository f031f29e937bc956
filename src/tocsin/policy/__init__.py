"""Policy: may this organization call this number now? Decisions only, never I/O."""
