"""Who is asking and what they may do: sessions the server can end (sessions.py), the role ×
action table and its one decision (rules.py), finding a caller's roles in a family
(access.py), passwords, log-in throttling, and the middleware that loads the principal and
checks CSRF. Each domain's access module loads its objects and asks rules.decide."""
