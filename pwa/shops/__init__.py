"""Friendly shops: the till, payments and reversals, the directory."""
