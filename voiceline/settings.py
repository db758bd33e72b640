"""Settings: one table that feeds the app's config, the README's help and validation.

Every setting comes from the environment (or ``test_config``). Outside development mode
the line refuses to start without a Twilio auth token, so it is never silently open.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import SettingsError

REPO_PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable and the app.config key
    help: str
    default: str | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting("TWILIO_AUTH_TOKEN", "Auth token of the Twilio account; verifies every webhook "
            "signature. Required unless VOICELINE_DEV_MODE=1."),
    Setting("TWILIO_ACCOUNT_SID", "Account SID of the Twilio account (for REST calls)."),
    Setting("DATABASE_URL", "Where opt-outs and language choices live: sqlite:///path or "
            "postgresql://... Default: a SQLite file in the instance folder."),
    Setting("PUBLIC_BASE_URL", "The https address Twilio calls, e.g. https://line.example.org. "
            "Needed to verify signatures behind a proxy or TLS terminator."),
    Setting("VOICELINE_PROMPTS_DIR", "Folder of prompt files. Default: the repo's prompts/."),
    Setting("VOICELINE_HASH_SECRET", "Secret key for the keyed hash (HMAC-SHA256) that stands "
            "in for phone numbers in the database. Set a long random value and keep it: "
            "changing it forgets every opt-out and language choice."),
    Setting("VOICELINE_DEV_MODE", "Set to 1 on your own computer only: allows a missing auth "
            "token (webhook signatures are then NOT checked).", "0"),
    Setting("VOICELINE_VOICE_EN", "Twilio voice for English, overriding prompts/en/line.toml "
            "(e.g. Polly.Joanna, or a basic voice such as woman)."),
    Setting("VOICELINE_VOICE_ES", "Twilio voice for Spanish, overriding prompts/es/line.toml "
            "(e.g. Polly.Lupe)."),
    Setting("VOICELINE_GATHER_TIMEOUT", "Seconds of silence before a menu is offered again.",
            "8"),
)

TRUE_WORDS = {"1", "true", "yes", "on"}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, str | None]:
    """Read every setting from the environment, with its default."""
    environ = os.environ if environ is None else environ
    return {s.name: environ.get(s.name) or s.default for s in SETTINGS}


def is_dev_mode(config) -> bool:
    return str(config.get("VOICELINE_DEV_MODE") or "0").strip().lower() in TRUE_WORDS


def normalise_database_url(url: str) -> str:
    """Accept postgres:// as Procfile platforms set it; SQLAlchemy wants postgresql+psycopg://."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def validate(config) -> None:
    """Refuse to start with settings that would leave the line open or broken."""
    if not config.get("TWILIO_AUTH_TOKEN") and not is_dev_mode(config):
        raise SettingsError(
            "TWILIO_AUTH_TOKEN is not set. Set it to your Twilio auth token (Console > "
            "Account > API keys & tokens) so every webhook's signature is checked, or set "
            "VOICELINE_DEV_MODE=1 to try the line on your own computer without one.")
    try:
        timeout = int(config.get("VOICELINE_GATHER_TIMEOUT") or 8)
    except ValueError:
        timeout = 0
    if not 3 <= timeout <= 30:
        raise SettingsError("VOICELINE_GATHER_TIMEOUT must be a whole number of seconds "
                            "from 3 to 30.")
    base = config.get("PUBLIC_BASE_URL")
    if base and not base.startswith(("http://", "https://")):
        raise SettingsError("PUBLIC_BASE_URL must start with https:// (for example "
                            "https://line.example.org).")
