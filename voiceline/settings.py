"""Settings: one table that feeds the app's config, the README's help and validation.

Every setting comes from the environment (or ``test_config``; a ``.env`` file is read
into the environment by the ``voiceline`` command). Outside development mode the line
refuses to serve without a Twilio auth token, so it is never silently open; the other
commands check only the settings they use. ``env_example`` writes the table as
``.env.example``.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SettingsError

PACKAGE = Path(__file__).resolve().parent
REPO_PROMPTS = PACKAGE.parent / "prompts"  # a checkout (or an editable install of one)
# A built wheel carries the same files here (setup.py copies prompts/ in at build time).
PACKAGED_PROMPTS = PACKAGE / "default_prompts"
DEFAULT_PROMPTS = PACKAGED_PROMPTS if PACKAGED_PROMPTS.is_dir() else REPO_PROMPTS
Config = Mapping[str, Any]  # app.config, or any mapping of setting names to values


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable and the app.config key
    help: str
    default: str | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting("TWILIO_AUTH_TOKEN", "Auth token of the Twilio account; verifies every webhook "
            "signature. Required unless VOICELINE_DEV_MODE=1."),
    Setting("TWILIO_ACCOUNT_SID", "Account SID of the Twilio account (for REST calls). When "
            "set, a webhook naming another account (AccountSid) is refused with 403."),
    Setting("TWILIO_API_KEY", "An API key SID (SK...) for REST calls, instead of the auth "
            "token (`voiceline twilio configure`); needs TWILIO_API_SECRET."),
    Setting("TWILIO_API_SECRET", "The secret of TWILIO_API_KEY."),
    Setting("DATABASE_URL", "Where opt-outs and language choices live: sqlite:///path or "
            "postgresql://... Default: a SQLite file in the instance folder."),
    Setting("PUBLIC_BASE_URL", "The https address Twilio calls, e.g. https://line.example.org: "
            "signatures are checked against it. Outside development mode it (or "
            "VOICELINE_TRUSTED_PROXIES) is required."),
    Setting("VOICELINE_PROMPTS_DIR", "Folder of prompt files (flow.toml and one folder per "
            "language; `voiceline init DIR` makes one to edit). Default: the words shipped "
            "with the line."),
    Setting("VOICELINE_HASH_SECRET", "Secret key for the keyed hash (HMAC-SHA256) that stands "
            "in for phone numbers in the database; never stored there. Required unless "
            "VOICELINE_DEV_MODE=1. Make one with `python3 -c \"import secrets; "
            "print(secrets.token_hex(32))\"` and keep it: changing it forgets every opt-out "
            "and language choice."),
    Setting("VOICELINE_DEV_MODE", "Set to 1 on your own computer only: allows a missing auth "
            "token (webhook signatures are then NOT checked), hash secret (one is kept in "
            "the instance folder) and public address.", "0"),
    Setting("VOICELINE_VOICE_EN", "Twilio voice for English, overriding prompts/en/line.toml "
            "(e.g. Polly.Joanna, or a basic voice such as woman)."),
    Setting("VOICELINE_VOICE_ES", "Twilio voice for Spanish, overriding prompts/es/line.toml "
            "(e.g. Polly.Lupe)."),
    Setting("VOICELINE_GATHER_TIMEOUT", "Seconds of silence before a menu is offered again.",
            "8"),
    Setting("TWILIO_MESSAGING_SERVICE_SID", "Messaging Service (MG...) that sends \"text me "
            "this\" texts during a call. If set, it is used instead of VOICELINE_SMS_FROM."),
    Setting("VOICELINE_SMS_FROM", "The line's number (E.164, e.g. +15551234567) that sends "
            "\"text me this\" texts. Default: the number the caller dialled."),
    Setting("VOICELINE_TEXTS_PER_HOUR", "\"Text me this\" texts one number may get per hour.",
            "3"),
    Setting("VOICELINE_SMS_REPLIES_PER_HOUR", "Replies one number may get per hour; texts "
            "beyond it get no reply (a guard against loops and abuse).", "20"),
    Setting("VOICELINE_EVENT_RETENTION_DAYS", "Days usage events are kept; older ones are "
            "deleted (daily, and by `voiceline events prune`). 0 keeps them forever.", "90"),
    Setting("VOICELINE_TRUSTED_PROXIES", "How many proxies in front of the line set "
            "X-Forwarded-Proto/-Host/-For (1 behind a Procfile platform's router or nginx), "
            "so that the address Twilio signed is seen without PUBLIC_BASE_URL. 0 (default) "
            "trusts no such header.", "0"),
    Setting("VOICELINE_METRICS_TOKEN", "Turns on /metrics (Prometheus), readable only with "
            "the header `Authorization: Bearer <this token>`. Unset: /metrics does not exist."),
    Setting("VOICELINE_PROMPTS_RELOAD_SECONDS", "How often, in seconds, each worker looks "
            "for saved changes to the prompt files (and loads them if they pass the "
            "check). 0 looks on every request.", "2"),
    Setting("VOICELINE_AUDIO_BASE_URL", "Where recorded prompts are published, e.g. "
            "https://cdn.example.org/voiceline-audio: calls then play BASE/<lang>/<file> "
            "instead of the line serving prompts/<lang>/audio/<file> itself. Keep the files "
            "in prompts/ too: that is how the line knows which prompts have a recording."),
    Setting("VOICELINE_TWILIO_KEYWORD_REPLIES", "Whether Twilio itself answers HELP/INFO "
            "and START/YES/UNSTOP (its default opt-out handling, or Advanced Opt-Out): then "
            "the line stays silent on them, so nobody gets two replies. auto (default) "
            "follows Twilio's default: on for long codes and toll-free numbers, off for "
            "short codes. on or off say it outright.", "auto"),
    Setting("VOICELINE_OPERATOR_KEY", "Turns on the operator area at /operator (dashboard, "
            "browser phone) and signs its session cookies: a long random value (32 "
            "characters or more). Accounts: `voiceline operator add NAME`. Unset: /operator "
            "does not exist."),
    Setting("VOICELINE_KEEP_UNANSWERED", "Set to 1 to keep the words of requests the line "
            "did not understand, for the dashboard: scrubbed of numbers, emails and "
            "addresses, at most 80 characters, never linked to a caller, deleted after 30 "
            "days (see \"Data and privacy\"). Counts are kept either way.", "0"),
    Setting("VOICELINE_LANGUAGE_REFRESH_SECONDS", "How often, in seconds, each worker reads "
            "the languages callers chose on other workers and instances (a returning caller "
            "is greeted in the language they chose last time; calls never wait for it). 0 "
            "reads them once, at start.", "10"),
    Setting("VOICELINE_PENDING_DIR", "Folder where a STOP that the database could not take "
            "waits (synced to disk) until it can; every worker applies it then, and no "
            "reply goes to that number meanwhile. Default: the system's temporary folder. "
            "Use a folder that outlives a restart and is not on the database's disk."),
)
COUNT_SETTINGS = ("VOICELINE_TEXTS_PER_HOUR", "VOICELINE_SMS_REPLIES_PER_HOUR",
                  "VOICELINE_EVENT_RETENTION_DAYS", "VOICELINE_TRUSTED_PROXIES",
                  "VOICELINE_PROMPTS_RELOAD_SECONDS", "VOICELINE_LANGUAGE_REFRESH_SECONDS")

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
MIN_OPERATOR_KEY = 32
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")  # a phone number as Twilio writes it


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Read every setting from the environment, with its default."""
    environ = os.environ if environ is None else environ
    return {s.name: environ.get(s.name) or s.default for s in SETTINGS}


def is_dev_mode(config: Config) -> bool:
    return str(config.get("VOICELINE_DEV_MODE") or "0").strip().lower() in TRUE_WORDS


def twilio_keyword_replies(config: Config) -> bool | None:
    """VOICELINE_TWILIO_KEYWORD_REPLIES: True (on), False (off), or None (auto: it
    depends on the number texted)."""
    value = str(config.get("VOICELINE_TWILIO_KEYWORD_REPLIES") or "auto").strip().lower()
    return True if value in TRUE_WORDS else False if value in FALSE_WORDS else None
def is_on(config: Config, name: str) -> bool:
    """A yes/no setting: 1, true, yes or on."""
    return str(config.get(name) or "0").strip().lower() in TRUE_WORDS


def count(config: Config, name: str) -> int:
    """A whole-number setting (checked by ``validate``), or its default when unset."""
    default = next(s.default for s in SETTINGS if s.name == name)
    return int(str(config.get(name) or default).strip())


def normalise_database_url(url: str) -> str:
    """Accept postgres:// as Procfile platforms set it; SQLAlchemy wants postgresql+psycopg://."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def prompts_dir(config: Config) -> Path:
    """The prompt files the line serves: VOICELINE_PROMPTS_DIR, or the shipped words."""
    return Path(str(config.get("VOICELINE_PROMPTS_DIR") or DEFAULT_PROMPTS)).expanduser()


HASH_SECRET_HOW_TO = ("Make one with: python3 -c \"import secrets; "
                      "print(secrets.token_hex(32))\" and keep it safe, apart from the "
                      "database (a dump and the secret together reveal the numbers).")


def validate(config: Config, serving: bool = True) -> None:
    """Refuse settings that would leave the line open or broken. ``serving=False`` (every
    command but the line itself) does not ask for what only serving uses."""
    dev = is_dev_mode(config)
    if serving and not config.get("TWILIO_AUTH_TOKEN") and not dev:
        raise SettingsError(
            "TWILIO_AUTH_TOKEN is not set. Set it to your Twilio auth token (Console > "
            "Account > API keys & tokens) so every webhook's signature is checked, or set "
            "VOICELINE_DEV_MODE=1 to try the line on your own computer without one.")
    if serving and not str(config.get("VOICELINE_HASH_SECRET") or "").strip() and not dev:
        raise SettingsError(
            "VOICELINE_HASH_SECRET is not set. It keys the hash that stands for phone "
            "numbers in the database, and is never stored there. " + HASH_SECRET_HOW_TO +
            " Upgrading from a version that kept a generated key in the database? Set "
            "this to that key first (see the README, 'Data and privacy'), or every opt-out "
            "is forgotten.")
    proxies = str(config.get("VOICELINE_TRUSTED_PROXIES") or "0").strip()
    if serving and not config.get("PUBLIC_BASE_URL") and proxies in ("", "0") and not dev:
        raise SettingsError(
            "Neither PUBLIC_BASE_URL nor VOICELINE_TRUSTED_PROXIES is set, so the address "
            "Twilio signs is unknown (a Host header could pass a signature made for one "
            "webhook off as another's). Set PUBLIC_BASE_URL to the https address Twilio "
            "calls (e.g. https://line.example.org), or VOICELINE_TRUSTED_PROXIES=1 behind "
            "a router or nginx that sets X-Forwarded-Proto and X-Forwarded-Host.")
    given = str(config.get("VOICELINE_GATHER_TIMEOUT") or "").strip()
    timeout = count(config, "VOICELINE_GATHER_TIMEOUT") if given.isascii() and (
        given.isdigit() or not given) else 0
    if not 3 <= timeout <= 30:
        raise SettingsError("VOICELINE_GATHER_TIMEOUT must be a whole number of seconds "
                            "from 3 to 30.")
    for name in COUNT_SETTINGS:
        value = str(config.get(name) or "0").strip()
        if not (value.isascii() and value.isdigit()):
            raise SettingsError(f"{name} must be a whole number (0 or more).")
    base = config.get("PUBLIC_BASE_URL")
    if base and not base.startswith(("http://", "https://")):
        raise SettingsError("PUBLIC_BASE_URL must start with https:// (for example "
                            "https://line.example.org).")
    sender = config.get("VOICELINE_SMS_FROM")
    if sender and not E164.match(str(sender).strip()):
        raise SettingsError("VOICELINE_SMS_FROM must be a phone number in E.164 form, for "
                            "example +15551234567.")
    keywords = str(config.get("VOICELINE_TWILIO_KEYWORD_REPLIES") or "auto").strip().lower()
    if keywords not in TRUE_WORDS | FALSE_WORDS | {"auto"}:
        raise SettingsError("VOICELINE_TWILIO_KEYWORD_REPLIES must be auto, on or off.")
    key = config.get("VOICELINE_OPERATOR_KEY")
    if key and len(str(key).strip()) < MIN_OPERATOR_KEY:
        raise SettingsError(f"VOICELINE_OPERATOR_KEY must be at least {MIN_OPERATOR_KEY} "
                            "characters long (a long random value, e.g. from `python3 -c "
                            "'import secrets; print(secrets.token_urlsafe(32))'`).")
    audio = config.get("VOICELINE_AUDIO_BASE_URL")
    if audio and not audio.startswith(("http://", "https://")):
        raise SettingsError("VOICELINE_AUDIO_BASE_URL must start with https:// (for example "
                            "https://cdn.example.org/voiceline-audio).")


ENV_EXAMPLE_HEADER = """\
# Every setting of voiceline: copy this file to .env, then uncomment and fill in what you
# need (the voiceline command and `docker compose` read .env; never commit it). A value
# shown is the default. Generated from the settings table (voiceline/settings.py): after
# adding a setting, regenerate with  ./scripts/regenerate  (tests/test_platform_files.py
# fails until this file matches).
"""
ENV_EXAMPLE_FOOTER = """\
# Not the line's settings, but read by `voiceline serve` (a Procfile platform sets them):
# PORT=8000
# WEB_CONCURRENCY=2
# Read by compose.yaml only: the password of its PostgreSQL database.
# POSTGRES_PASSWORD=
"""


def env_example() -> str:
    """The settings table as a ``.env`` file: each help as comments, then the name."""
    parts = [ENV_EXAMPLE_HEADER]
    for setting in SETTINGS:
        lines = textwrap.wrap(setting.help, width=86)
        # Commented out: an empty value set here would hide an image's or platform's own.
        parts.append("".join(f"# {line}\n" for line in lines) +
                     f"# {setting.name}={setting.default or ''}\n")
    parts.append(ENV_EXAMPLE_FOOTER)
    return "\n".join(parts)
