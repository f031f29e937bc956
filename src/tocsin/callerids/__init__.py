"""An organization's caller IDs: adding, proving and removing them (`commands`), and asking a
provider account whether it owns one (`ownership`). The table, and which caller ID a call
through an account presents, sit lower, in `providers`, because the dial path reads them."""
