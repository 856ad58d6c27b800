"""The public case library."""
