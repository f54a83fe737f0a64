"""Presentation: the JSON envelope and table/json/csv/md rendering, report files."""
