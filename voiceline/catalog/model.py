"""The catalog as a model: every word the line says, as immutable data.

A ``Catalog`` holds the menu (``Flow``, from flow.toml) and one ``Language`` per folder
(line.toml and topics.toml); ``loader`` builds it from the files. The key names below are
the whole vocabulary of those files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..errors import Finding
from ..text.placeholders import fill
from .flowfile import Flow

AUDIO_SUFFIXES = (".mp3", ".wav")

LANGUAGE_KEYS = ("name", "speech_tag", "voice", "choose", "words", "greetings")
CALL_KEYS = (
    "welcome", "emergency", "option", "universal", "speak_hint", "help", "no_input",
    "invalid_key", "not_understood", "did_you_mean", "main_menu_intro", "menu_intro",
    "back_at_main", "topic_reminder", "again_label", "main_label", "end_label", "error",
    "goodbye", "disclaimer", "physician", "star", "pound",
    "text_label", "text_sent", "text_not_possible", "text_opted_out", "text_limit", "text_busy",
    "text_failed", "text_unconfirmed",
)
TEXT_KEYS = (
    "welcome", "menu_header", "menu_footer", "help", "unknown", "did_you_mean",
    "language_set", "resubscribed", "more", "disclaimer", "error", "too_long", "media",
)
COMMAND_KEYS = ("back", "repeat", "help", "main_menu", "end")
TOPIC_KEYS = ("label", "words", "spoken", "text", "source", "reviewed")
# The placeholders each text may use, a closed set: anything else in {braces} is an error.
PLACEHOLDERS = {"call.option": ("label", "key"), "call.invalid_key": ("key",),
                "call.did_you_mean": ("label",), "call.menu_intro": ("label",),
                "language.choose": ("key",)}
REQUIRED_PLACEHOLDERS = {"call.option": ("label", "key"), "language.choose": ("key",)}
LIST_KEYS = {("language", "words"), ("language", "greetings"), ("call", "no_input"),
             ("topic", "words"), *(("commands", k) for k in COMMAND_KEYS)}


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    words: tuple[str, ...]
    spoken: str
    text: str
    source: str
    reviewed: date | None


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    speech_tag: str
    voice: str
    choose: str
    words: tuple[str, ...]
    greetings: tuple[str, ...]
    call: Mapping[str, str]
    no_input: tuple[str, ...]
    menus: Mapping[str, str]
    text: Mapping[str, str]
    topics: Mapping[str, Topic]
    commands: Mapping[str, tuple[str, ...]]  # spoken words for back, repeat, help, ...
    audio: Mapping[str, Path] = field(default_factory=dict)

    def key_name(self, key: str) -> str:
        """How a key is spoken: '*' is 'star' in English, 'asterisco' in Spanish."""
        return {"*": self.call["star"], "#": self.call["pound"]}.get(key, key)

    def option(self, label: str, key: str) -> str:
        return fill(self.call["option"], {"label": label, "key": self.key_name(key)})

    def said(self, name: str, **values: str) -> str:
        """The [call] text ``name`` with its placeholders filled."""
        return fill(self.call[name], values)


@dataclass(frozen=True)
class Catalog:
    root: Path
    version: str
    flow: Flow
    languages: Mapping[str, Language]
    warnings: tuple[Finding, ...] = ()

    @property
    def default_language(self) -> str:
        return self.flow.languages[0]

    def language(self, code: str | None) -> Language:
        """The language for ``code``, or the default one for anything unknown."""
        return self.languages.get(code or "", self.languages[self.default_language])
