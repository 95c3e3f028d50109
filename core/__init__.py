"""RanaWatch core library: audio I/O, recorder metadata, the AST model and detection.

``core`` is a plain library. It never imports prefect, sqlmodel/``db`` or dash;
flows, the CLI and the dashboard compose it.
"""
