"""HTTP plumbing shared by every router: errors, authentication, dependencies."""
