"""The store: canonical tables, Parquet partitioned by snapshot, a DuckDB catalogue."""
