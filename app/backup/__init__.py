"""Backup and restore: archives of the database, uploads, brochures and the
instance configuration (``flask backup …``), restored into an empty site on
either database, verified, and kept by a retention rule."""
