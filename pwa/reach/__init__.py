"""Reach (issue 17): how many families the programme reaches, by city, centre and merchant."""
