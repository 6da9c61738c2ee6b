"""Trips: trip mode on the person's phone and the help card."""
