"""The RanaWatch dashboard: a Dash Pages app over the RanaWatch database (read only).

``python -m dashboard`` or ``ranawatch dashboard`` serves it (default http://127.0.0.1:8050).

Layout
------
``app.py``
    :func:`~dashboard.app.create_app`: the shell (header, page container, ``/health``).
``pages/``
    One module per page, each registering itself: ``overview`` (``/``) shows calls per
    night at a site, effort-aware, and the latest recordings. Review of detections, the site
    map and calling against temperature come as further pages.
``data.py``
    Read-only queries returning DataFrames (built on :mod:`db.reports` and
    :mod:`core.report.tables`, so the numbers match the site report).
``figures.py``
    Pure ``DataFrame -> go.Figure`` functions.
"""
