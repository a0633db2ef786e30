"""roleplay."""
