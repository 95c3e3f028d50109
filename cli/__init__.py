"""The ``ranawatch`` command line."""
