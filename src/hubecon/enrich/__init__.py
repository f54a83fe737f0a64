"""Enrichment: the developer registry, lineage and per-model properties (model_facts)."""
