"""Curating the public case library: publicity staff and chairs."""
