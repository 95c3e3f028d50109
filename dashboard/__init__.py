"""The RanaWatch dashboard: a Dash Pages app over the RanaWatch database.

``ranawatch dashboard`` serves it (default http://127.0.0.1:8050); under gunicorn,
``gunicorn dashboard.wsgi:server``. It reads the database, writes only reviews (through
:mod:`db.reviews`) and never creates a database.

Layout
------
``app.py``
    :func:`~dashboard.app.create_app`: the shell (header, shared site and night-range
    controls, the auto-refresh timer, database status, page container, ``/health``).
``pages/``
    One module per page, each registering itself: overview, temperature, map, detections,
    devices, reports, models.
``review_panel.py``
    The detections page's panel for the chosen event: spectrogram, audio, review history
    and the verdicts (its callbacks registered by the page).
``data.py``
    The way into the database: checks it exists and is migrated, then read-only sessions
    (and one write transaction per review). The queries are :mod:`db.dashboard` (the
    scope), :mod:`db.dashboard_activity`, :mod:`db.dashboard_events` and
    :mod:`db.dashboard_devices`; they aggregate in SQL and return DataFrames.
``figures*.py``
    Pure ``DataFrame -> go.Figure`` functions: ``figures.py`` their shared look and helpers,
    ``figures_activity.py`` calls per night and hour, ``figures_temperature.py`` calling
    against temperature, ``figures_devices.py`` the map and device health,
    ``figures_models.py`` model versions compared, ``figures_audio.py`` an event's
    spectrogram; ``stats.py`` bins and fits (temperature); ``expected.py`` the minutes a
    device should record per night (its schedule).
``auth.py``, ``media.py``
    Reviewer sign-in; an event's audio and spectrogram from the audio roots only.
"""
