"""Centre budgets (issue 17): grants, what issuing takes, batches, and ended vouchers' returns."""
