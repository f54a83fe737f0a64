"""Importers: each turns one kind of input into the store's canonical rows (a SnapshotBatch)."""
