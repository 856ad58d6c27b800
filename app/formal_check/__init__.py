"""The chair's formal check (形式审查): the entry table of a call, decisions, exports."""
