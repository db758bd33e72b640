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
from .flowfile import Flow

AUDIO_SUFFIXES = (".mp3", ".wav")

LANGUAGE_KEYS = ("name", "speech_tag", "voice", "choose", "words", "greetings", "subject_words",
                 "off_topic")
CALL_KEYS = (
    "welcome", "emergency", "option", "action", "universal", "menu_keys", "speak_hint", "help",
    "no_input", "invalid_key", "not_understood", "did_you_mean", "main_menu_intro",
    "menu_intro", "back_at_main", "topic_reminder", "end_label", "error",
    "goodbye", "disclaimer", "physician", "star", "pound",
    "text_label", "text_sent", "text_not_possible", "text_opted_out", "text_limit", "text_busy",
    "text_failed", "text_unconfirmed",
)
TEXT_KEYS = (
    "welcome", "menu_header", "menu_footer", "more_topics", "help", "unknown", "did_you_mean",
    "language_set", "resubscribed", "more", "first_answer", "disclaimer", "error", "too_long",
    "media",
)
COMMAND_KEYS = ("back", "repeat", "help", "main_menu", "end")
TOPIC_KEYS = ("label", "words", "spoken", "text", "source", "reviewed")
LIST_KEYS = {("language", "words"), ("language", "greetings"), ("language", "subject_words"),
             ("language", "off_topic"), ("call", "no_input"),
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
    # Words about the line's subject as a whole ("stem cells", "neck"): they name no topic.
    subject_words: tuple[str, ...] = ()
    # Requests the line has no answer for ("appointment", "refill"): never a topic.
    off_topic: tuple[str, ...] = ()
    audio: Mapping[str, Path] = field(default_factory=dict)

    def key_name(self, key: str) -> str:
        """How a key is spoken: '*' is 'star' in English, 'asterisco' in Spanish."""
        return {"*": self.call["star"], "#": self.call["pound"]}.get(key, key)

    def option(self, label: str, key: str) -> str:
        """A choice by its name: "Risks: press 1." (``call.option``), a sentence."""
        said = self.call["option"].format(label=label, key=self.key_name(key))
        return said[:1].upper() + said[1:]

    def action(self, label: str, key: str) -> str:
        """A choice by what it does, verb first: "To end the call, press 2." (``call.action``)."""
        return self.call["action"].format(label=label, key=self.key_name(key))


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
