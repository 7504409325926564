"""UI state shared by every page."""
