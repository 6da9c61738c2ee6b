"""The audit log (issue 17): who did what that moves money or changes who may do what."""
