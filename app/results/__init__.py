"""Results: aggregation, reliability, rankings and selection."""
