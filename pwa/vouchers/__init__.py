"""Vouchers: the wallet, the pay screen, issuing, paying and the ledger."""
