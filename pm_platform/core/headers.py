"""Security headers on every answer (flask-talisman, the library made for it) and cookies that are
`Secure` whenever the request came over HTTPS, directly or through the TLS proxy in front.

- Content-Security-Policy: scripts and styles from this site only (the one inline script a page
  needs carries the request's nonce: `<script nonce="{{ csp_nonce() }}">`); inline `style=`
  attributes are allowed (PDF templates and a few pages use them; they cannot run code);
  `frame-ancestors 'none'` with X-Frame-Options DENY, so vote and pay pages cannot be framed.
- X-Content-Type-Options nosniff, Referrer-Policy same-origin, HSTS for a year on HTTPS answers.
- Behind a TLS proxy, `X-Forwarded-Proto` (ProxyFix, one hop) tells the app the request was HTTPS:
  the session cookie is then `Secure` and HSTS is sent. `X-Forwarded-For` is not trusted unless
  PROXY_FORWARDED_FOR says how many proxies set it (a client could forge it if the app were reached
  directly); without it, every request through a proxy comes from the proxy's address, and the
  per-address login limit is one limit for everyone. See docs/deployment.md.
"""
from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from pm_platform.extensions import talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


class SessionCookieSecureOverHttps(SecureCookieSessionInterface):
    """The session cookie is `Secure` on every HTTPS request (or always, if configured so)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (has_request_context() and request.is_secure)


def trust_proxy(app: Flask) -> None:
    """X-Forwarded-Proto from one proxy; X-Forwarded-For from PROXY_FORWARDED_FOR proxies (default
    none: only when the app can be reached through them alone)."""
    hops = int(app.config.get("PROXY_FORWARDED_FOR") or 0)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=1, x_host=0, x_port=0, x_prefix=0)


def install(app: Flask) -> None:
    trust_proxy(app)
    talisman.init_app(
        app,
        force_https=False,              # the TLS proxy in front redirects; the demo runs on plain HTTP
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
        strict_transport_security=True, strict_transport_security_max_age=365 * 24 * 3600,
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="same-origin",
    )
    app.session_interface = SessionCookieSecureOverHttps()
