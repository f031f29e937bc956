"""People on call: members' notification rules, projects, rotations, schedules and overrides, and
who a routing target pages when an escalation step runs."""
