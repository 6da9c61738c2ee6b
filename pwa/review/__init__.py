"""Following the trips: live status, history, notes, the care record and alerts."""
