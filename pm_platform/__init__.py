"""pm_platform: long-term management of renovated residential compounds."""
from __future__ import annotations

import importlib

from flask import Flask
from flask_babel import lazy_gettext

from pm_platform.config import INSTANCE_DIR, Config

# Domains with pages (views.py), JSON endpoints (api.py) or commands (cli.py), in import order.
DOMAINS = ["core", "places", "fees", "revenue", "parking", "lockers", "committees", "workorders", "inspections", "scoring", "home"]


def create_app(config: dict | None = None) -> Flask:
    from pm_platform import extensions as ext
    from pm_platform.api.auth import authenticate_api_request
    from pm_platform.core import apidoc, headers, i18n, logs, metrics, routing, transaction, web
    from pm_platform.core.secrets_config import configure_secrets
    from tasks.celery_app import celery_init_app

    root = INSTANCE_DIR.parent
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), template_folder=str(root / "templates"),
                static_folder=str(root / "static"))
    routing.install(app)
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    configure_secrets(app.config, INSTANCE_DIR)
    INSTANCE_DIR.mkdir(exist_ok=True)

    ext.db.init_app(app)
    _import_models()
    ext.migrate.init_app(app, ext.db, directory=str(root / "migrations"))
    ext.login_manager.init_app(app)
    ext.login_manager.login_view = "core.login"
    # Flask-Login's own prompt is English; flash ours, in the reader's language.
    ext.login_manager.login_message = lazy_gettext("Please sign in")
    ext.login_manager.localize_callback = str
    ext.csrf.init_app(app)
    headers.install(app)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(p) for p in i18n.translation_dirs())
    ext.babel.init_app(app, locale_selector=web.select_locale)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    ext.limiter.init_app(app)
    apidoc.init_api(ext.api, app)
    ext.api.register_converter(routing.IdConverter, routing.id_parameter_schema)
    celery_init_app(app)

    for domain in DOMAINS:
        _register_domain(app, domain)
    app.before_request(lambda: authenticate_api_request(app))
    transaction.commit_when_view_returns(app)
    web.register_error_handlers(app)
    web.register_template_helpers(app)
    from pm_platform.core.outbox import relay_after_request
    app.after_request(relay_after_request)
    metrics.install(app)  # /metrics, request and job counts (core/metrics.py)
    logs.install(app)     # JSON logs with the request id, after every other before_request
    from pm_platform.demo import demo_command
    app.cli.add_command(demo_command)
    return app


def _import_models() -> None:
    for domain in DOMAINS:
        try:
            importlib.import_module(f"pm_platform.{domain}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"pm_platform.{domain}.models":
                raise


def _register_domain(app: Flask, domain: str) -> None:
    from pm_platform import extensions as ext

    for part in ("views", "api", "cli"):
        try:
            module = importlib.import_module(f"pm_platform.{domain}.{part}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pm_platform.{domain}.{part}":
                raise
            continue
        if part == "views":
            app.register_blueprint(module.bp)
            app.config.setdefault("NAV", []).extend(getattr(module, "NAV", []))
        elif part == "api":
            ext.api.register_blueprint(module.blp, url_prefix="/api/v1")
            ext.csrf.exempt(module.blp)
        else:
            for command in module.commands:
                app.cli.add_command(command)
