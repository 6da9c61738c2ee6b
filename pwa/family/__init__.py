"""The family: its home page, its people and each person's settings."""
