"""The JSON API's shared parts: bearer-token and device-key auth and the error format.

Each domain's endpoints live in its own api.py as a flask-smorest Blueprint under /api/v1.
The API authenticates only by `Authorization: Bearer …` (never the session cookie), so it
needs no CSRF token and a browser session cannot be abused to call it.
"""
