"""Settlement (issue 17): statements of what the programme owes each merchant for a period."""
