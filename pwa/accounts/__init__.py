"""Accounts: log in and out, sign up, passwords, invitations, linking the phone."""
