"""Plans, their steps and first–then boards."""
