"""Metrics: pure functions of (tables, parameters) -> small tables, written as Ibis expressions."""
