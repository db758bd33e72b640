"""Content checks on a loaded catalog: what makes a prompt wrong or costly for a caller.

``content_findings`` runs on every load (the line refuses a catalog with errors) and in
``voiceline check``. Structure (missing keys, menus) is checked by ``catalog`` itself.
"""

from __future__ import annotations

import string
from collections.abc import Iterator

from . import gsm
from .catalog import CALL_KEYS, TEXT_KEYS, Catalog, Language
from .errors import Finding

# The placeholders each text may use; anything else in {braces} is a typo.
PLACEHOLDERS = {"call.option": {"label", "key"}, "call.invalid_key": {"key"},
                "call.did_you_mean": {"label"}, "call.menu_intro": {"label"},
                "language.choose": {"key"}}
REQUIRED_PLACEHOLDERS = {"call.option": {"label", "key"}, "language.choose": {"key"}}


def content_findings(catalog: Catalog) -> Iterator[Finding]:
    for lang in catalog.languages.values():
        yield from _placeholder_findings(lang)
        yield from _sms_findings(catalog, lang)


def _texts(lang: Language) -> Iterator[tuple[str, str, str]]:
    """(file, key path, text) for every text of a language."""
    line, topics = f"prompts/{lang.code}/line.toml", f"prompts/{lang.code}/topics.toml"
    yield line, "language.choose", lang.choose
    for key in CALL_KEYS:
        yield line, f"call.{key}", lang.call[key] if key != "no_input" else ""
    for i, text in enumerate(lang.no_input):
        yield line, f"call.no_input.{i + 1}", text
    for key in TEXT_KEYS:
        yield line, f"text.{key}", lang.text[key]
    for topic in lang.topics.values():
        yield topics, f"topics.{topic.id}.spoken", topic.spoken
        yield topics, f"topics.{topic.id}.text", topic.text


def _placeholder_findings(lang: Language) -> Iterator[Finding]:
    for file, where, text in _texts(lang):
        allowed = PLACEHOLDERS.get(where, set())
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError:
            yield Finding(file, None, where, "A { or } is not closed.",
                          "Write placeholders as {label} or {key}; remove stray braces.")
            continue
        for name in sorted(used - allowed):
            yield Finding(file, None, where, f"Unknown placeholder {{{name}}}.",
                          f"Use only {', '.join('{' + a + '}' for a in sorted(allowed))}"
                          if allowed else "Remove the braces: this text takes no placeholder.")
        for name in sorted(REQUIRED_PLACEHOLDERS.get(where, set()) - used):
            yield Finding(file, None, where, f"The placeholder {{{name}}} is missing.",
                          f"Put {{{name}}} where the {name} should be said.")


def _sms_findings(catalog: Catalog, lang: Language) -> Iterator[Finding]:
    from .sms import MAX_SEGMENTS, MENU_SEGMENTS, compose_menu

    line, topics = f"prompts/{lang.code}/line.toml", f"prompts/{lang.code}/topics.toml"
    sms_texts = [(line, f"text.{k}", lang.text[k]) for k in TEXT_KEYS]
    sms_texts += [(topics, f"topics.{t.id}.text", t.text) for t in lang.topics.values()]
    sms_texts += [(topics, f"topics.{t.id}.label", t.label) for t in lang.topics.values()]
    for file, where, text in sms_texts:
        for char in gsm.non_gsm7(text):
            plain = gsm.suggest(char)
            yield Finding(file, None, where, f"The character {char!r} (U+{ord(char):04X}) is "
                          "not in the plain SMS alphabet (GSM-7); one such character can "
                          "triple what a text costs.",
                          f"Replace it with {plain!r}." if plain else "Remove it.")
    ending = "\n" + lang.text["disclaimer"]
    for topic in lang.topics.values():
        full = f"{topic.text}\n{lang.text['more']}{ending}"
        count = gsm.segments(gsm.to_gsm7(full))
        where = f"topics.{topic.id}.text"
        if count > MAX_SEGMENTS:
            yield Finding(topics, None, where, f"With the disclaimer this text takes {count} "
                          f"SMS segments ({gsm.septets(gsm.to_gsm7(full))} characters); the "
                          f"limit is {MAX_SEGMENTS} ({gsm.MULTI_SEGMENT * MAX_SEGMENTS}).",
                          "Shorten it.")
        elif count > MENU_SEGMENTS:
            yield Finding(topics, None, where, f"With the disclaimer this text takes {count} "
                          "SMS segments.", "Shorten it to two segments (306 characters) "
                          "if you can.", severity="warning")
    help_text = lang.text["help"] + ending
    if gsm.segments(gsm.to_gsm7(help_text)) > MAX_SEGMENTS:
        yield Finding(line, None, "text.help", "The help text with the disclaimer is longer "
                      "than three SMS segments.", "Shorten it.")
    menu = compose_menu(catalog, lang, lang.text["welcome"])
    if gsm.segments(menu) > MENU_SEGMENTS:
        yield Finding(line, None, "text.menu_header", f"The SMS topic list takes "
                      f"{gsm.segments(menu)} segments; it must fit in {MENU_SEGMENTS} "
                      f"({gsm.MULTI_SEGMENT * MENU_SEGMENTS} characters).",
                      "Shorten topic labels, text.welcome, text.menu_header or "
                      "text.menu_footer.")
