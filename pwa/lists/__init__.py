"""Shopping lists: their items, ticks and the list pages."""
