"""Photos of a family: storing, serving and adding them."""
