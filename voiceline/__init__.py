"""voiceline: an accessible telephone and text-message information line for Twilio.

``create_app`` is the only way to get an app: settings come from the environment (or
``test_config``), the prompt files are loaded once, and each feature is a blueprint.
"""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import content, settings, store


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(settings.from_environment())
    # Twilio's bodies are small; a huge one is refused before it is parsed.
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    if test_config is not None:
        app.config.update(test_config)
    settings.validate(app.config)
    if not app.config.get("DATABASE_URL") and not app.config.get("VOICELINE_STORE"):
        os.makedirs(app.instance_path, exist_ok=True)  # for the default SQLite file only

    content.init_app(app)
    store.init_app(app)

    from . import audio, fallback, health, observability, sms, voice

    observability.init_app(app)

    app.register_blueprint(voice.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(audio.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(fallback.bp)
    proxies = settings.count(app.config, "VOICELINE_TRUSTED_PROXIES")
    if proxies:
        # Behind a router or nginx: the scheme and host Twilio signed are in X-Forwarded-*.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    if settings.is_dev_mode(app.config) and not app.config.get("TWILIO_AUTH_TOKEN"):
        app.logger.warning("DEVELOPMENT MODE: webhook signatures are NOT checked. Never "
                           "point a real Twilio number at this server.")
    return app
