"""Heartbeat monitors (dead-man's switches): a job pings its monitor every interval or on a cron
schedule; a ping that does not come, a run that never finishes, or a job that says it failed
opens an alert on the monitor's endpoint, routed like any other, and the next good ping
resolves it.

`schedule` (when is the next ping due) and `states` (what a ping, a pause or the passing of time
does to a monitor) are pure; `pings` and `misses` apply them, `alerts` is the one place a monitor
opens and closes its alert, and `commands` is what people do to monitors.
"""
