"""The catalog as a model: every word the line says, as immutable data.

A ``Catalog`` holds the menu (``Flow``, from flow.toml), the guide the words sum up
(``Guide``, named in flow.toml) and one ``Language`` per folder (line.toml, topics.toml,
red_flags.toml and, if there is one, examples.toml); ``loader`` builds it from the files.
The key names below are the whole vocabulary of those files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

from ..errors import Finding
from ..text.placeholders import fill
from .flowfile import Flow

AUDIO_SUFFIXES = (".mp3", ".wav")

LANGUAGE_KEYS = ("name", "speech_tag", "voice", "choose", "words", "greetings", "subject_words",
                 "off_topic", "other_subjects")
CALL_KEYS = (
    "welcome", "emergency", "offer", "option", "action", "universal", "menu_keys", "speak_hint",
    "help", "no_input", "invalid_key", "not_understood", "did_you_mean", "main_menu_intro",
    "menu_intro", "back_at_main", "topic_reminder", "end_label", "error",
    "goodbye", "disclaimer", "physician", "star", "pound",
    "text_label", "text_sent", "text_not_possible", "text_opted_out", "text_limit", "text_busy",
    "text_failed", "text_unconfirmed",
)
TEXT_KEYS = (
    "welcome", "emergency", "menu_header", "menu_footer", "more_topics", "help", "unknown",
    "did_you_mean", "language_set", "resubscribed", "more", "first_answer", "disclaimer",
    "error", "too_long", "media",
)
COMMAND_KEYS = ("back", "repeat", "help", "main_menu", "end")
TOPIC_KEYS = ("label", "words", "spoken", "text", "source", "reviewed_by", "reviewed",
              "reviewed_words")
# red_flags.toml: two groups of words, each with what is said and texted when one is heard,
# and the words that tell a general question ("is a fever a side effect?") from a problem.
RED_FLAG_KINDS = ("emergency", "urgent")
RED_FLAG_KEYS = ("words", "spoken", "text")
QUESTION_KEYS = ("general", "personal")
LIST_KEYS = {("language", "words"), ("language", "greetings"), ("language", "subject_words"),
             ("language", "off_topic"), ("language", "other_subjects"), ("call", "no_input"),
             ("topic", "words"),
             ("red_flag", "words"), ("questions", "general"), ("questions", "personal"),
             *(("commands", k) for k in COMMAND_KEYS)}
# Lists a file may leave out, or leave empty.
OPTIONAL_LISTS = frozenset({"other_subjects"})
# The placeholders each text may use, a closed set: anything else in {braces} is an error.
PLACEHOLDERS = {"call.option": ("label", "key"), "call.action": ("label", "key"),
                "call.invalid_key": ("key",), "call.did_you_mean": ("label",),
                "call.menu_intro": ("label",), "language.choose": ("key",),
                "call.offer": ("key",), "text.more_topics": ("word",)}
REQUIRED_PLACEHOLDERS = {"call.option": ("label", "key"), "call.action": ("label", "key"),
                         "language.choose": ("key",), "call.offer": ("key",),
                         "text.more_topics": ("word",)}
# examples.toml: requests people sent, under the id of the topic that answers them, or
# under this name when no topic does.
NO_TOPIC = "none"
NOT_REVIEWED = "not yet reviewed"  # what reviewed_by and reviewed say until a clinician has


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    words: tuple[str, ...]
    spoken: str
    text: str
    source: str
    reviewed_by: str  # who checked it against the guide, or NOT_REVIEWED
    reviewed: date | None  # when; None until it is reviewed
    reviewed_words: str = ""  # the fingerprint of the words as reviewed (``words_hash``)

    def words_hash(self) -> str:
        """A short fingerprint of what this topic says (label, spoken and text, spacing
        ignored): a review holds for these words only."""
        words = "\n".join(" ".join(t.split()) for t in (self.label, self.spoken, self.text))
        return hashlib.sha256(words.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class RedFlagGroup:
    """One group of red-flag words (emergency or urgent) and what the line answers."""

    kind: str  # one of RED_FLAG_KINDS
    words: tuple[str, ...]
    spoken: str
    text: str


@dataclass(frozen=True)
class RedFlags:
    groups: Mapping[str, RedFlagGroup]  # by kind
    general: tuple[str, ...] = ()  # words of a general question ("side effect")
    personal: tuple[str, ...] = ()  # words of a problem the person has ("i have", "my")


@dataclass(frozen=True)
class Guide:
    """The patient guide the topics sum up: its text, section by section (by heading)."""

    file: str
    sections: Mapping[str, str]


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
    # Health subjects other than the line's ("lasik", "wisdom teeth"): a request naming one,
    # and none of the subject words, is never answered as sure (``engine.understand``).
    other_subjects: tuple[str, ...] = ()
    audio: Mapping[str, Path] = field(default_factory=dict)
    red_flags: RedFlags = field(default_factory=lambda: RedFlags(MappingProxyType({})))
    # Requests people sent, by the topic id that answers them (or NO_TOPIC): the line
    # learns from them how people ask (``engine.understand``).
    examples: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({}))

    def key_name(self, key: str) -> str:
        """How a key is spoken: '*' is 'star' in English, 'asterisco' in Spanish."""
        return {"*": self.call["star"], "#": self.call["pound"]}.get(key, key)

    def option(self, label: str, key: str) -> str:
        """A choice by its name: "Risks: press 1." (``call.option``), a sentence."""
        said = fill(self.call["option"], {"label": label, "key": self.key_name(key)})
        return said[:1].upper() + said[1:]

    def action(self, label: str, key: str) -> str:
        """A choice by what it does, verb first: "To end the call, press 2." (``call.action``)."""
        return fill(self.call["action"], {"label": label, "key": self.key_name(key)})

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
    guide: Guide | None = None

    def same_words(self, other: Catalog) -> bool:
        """Read from the same files with the same contents: what is built from one catalog's
        words (an index) serves the other. The check and the served catalog are two
        objects of one version; this lets them share."""
        return other is self or (other.root, other.version) == (self.root, self.version)

    @property
    def default_language(self) -> str:
        return self.flow.languages[0]

    def language(self, code: str | None) -> Language:
        """The language for ``code``, or the default one for anything unknown."""
        return self.languages.get(code or "", self.languages[self.default_language])
