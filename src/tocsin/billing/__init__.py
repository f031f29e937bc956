"""Plans, trials, usage and Paddle Billing: what an organization has paid for, and its caps."""
