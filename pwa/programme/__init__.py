"""The programme's own pages (issue 17): organisations, their staff invitations, suspensions,
friendly-shop approvals."""
