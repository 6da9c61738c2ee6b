"""The rehabilitation centre: its families, issuing vouchers and reports."""
