"""Offline sync over HTTP: push and pull."""
