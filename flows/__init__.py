"""Prefect flows: ingest, detect, report. Thin compositions of ``core`` and ``db``."""
