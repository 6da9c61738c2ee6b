"""Stand-ins for the outside services the app talks to, run on this machine in the tests."""
