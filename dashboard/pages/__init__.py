"""Dashboard pages: each module calls ``dash.register_page`` and is loaded by the app.

Import them only through :func:`dashboard.app.create_app` (``register_page`` needs the app).
"""
