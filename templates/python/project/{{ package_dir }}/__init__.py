"""The service's package: app.py holds the routes, __main__.py serves them (`python -m` runs it)."""
