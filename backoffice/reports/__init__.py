"""Staff reports in the admin: the week view and room utilization."""
