"""The SMS engine: which texts are opt-outs, and what any other text gets back (pure).

``answer_text`` decides the reply to one text from the catalog, the texter as stored and
the words; ``unreadable`` says when a text cannot be read at all (too long, a picture).
Every reply is composed here: plain GSM-7, at most ``MAX_SEGMENTS`` segments, ending with
the short disclaimer. The web layer commits opt-outs, asks the guards, then asks here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..catalog import Catalog, Language
from ..text import gsm
from ..text.digits import ascii_int
from ..text.matching import best_matches, normalise
from .guards import Texter
from .outcomes import Answered, EventKind, Happened

# Twilio's standard keywords (its Advanced Opt-Out may add more through OptOutType).
OPT_OUT_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
OPT_OUT_FIRST_WORDS = {"stop", "stopall", "unsubscribe", "optout"}  # "stop texting me"
OPT_IN_WORDS = {"start", "unstop", "yes"}
HELP_WORDS = {"help", "info"}
MENU_WORDS = {"menu", "list", "topics"}
MAX_SEGMENTS = 3
MENU_SEGMENTS = 2
MAX_BODY = 1600  # Twilio's longest incoming text; anything longer is not a question
UNREADABLE = (Answered.TOO_LONG, Answered.MEDIA)


@dataclass(frozen=True)
class TextAnswer:
    body: str
    language: str  # the texter's language from now on
    kind: Answered  # what was answered (menu, topic, help...), for usage events
    topic: str = ""

    @property
    def happened(self) -> Happened:
        kind = EventKind.SMS_UNREADABLE if self.kind in UNREADABLE else EventKind.SMS_ANSWERED
        return Happened(kind, self.language, self.topic, self.kind)

    def changes_language_of(self, texter: Texter | None) -> bool:
        """Whether the texter's stored language must change (a text that could not be read
        says nothing about it)."""
        if self.kind in UNREADABLE:
            return False
        return texter is None or texter.language != self.language


def is_opt_out(body: str, opt_out_type: str = "") -> bool:
    if opt_out_type.upper() == "STOP":
        return True
    words = normalise(body).split()
    return bool(words) and (" ".join(words) in OPT_OUT_WORDS or
                            (words[0] in OPT_OUT_FIRST_WORDS and len(words) <= 4))


def is_opt_in(body: str, opt_out_type: str = "") -> bool:
    return opt_out_type.upper() == "START" or normalise(body) in OPT_IN_WORDS


def unreadable(body_length: int, media_count: int) -> Answered | None:
    """Why a text cannot be answered by its words (TOO_LONG, MEDIA), or None."""
    if body_length > MAX_BODY:
        return Answered.TOO_LONG
    return Answered.MEDIA if media_count > 0 else None


def answer_unreadable(catalog: Catalog, texter: Texter | None, why: Answered) -> TextAnswer:
    """One polite sentence for a text that cannot be read, in the texter's language."""
    lang = catalog.language(texter.language if texter else None)
    return TextAnswer(compose(lang, lang.text[why.value]), lang.code, why)


def answer_text(catalog: Catalog, texter: Texter | None, body: str,
                resubscribed: bool = False) -> TextAnswer:
    """The reply to one text (pure). ``texter`` is None for a number never seen before."""
    code = catalog.language(texter.language if texter else None).code
    words = normalise(body)
    for other in catalog.flow.languages:
        chosen = catalog.languages[other]
        if words in {normalise(w) for w in chosen.words}:
            return TextAnswer(compose_menu(catalog, chosen, chosen.text["language_set"]), other,
                              Answered.LANGUAGE)
        if texter is None and words in {normalise(g) for g in chosen.greetings}:
            code = other  # "hola" as a first text: answer in Spanish
    lang = catalog.languages[code]
    if resubscribed:
        return TextAnswer(compose_menu(catalog, lang, lang.text["resubscribed"]), code,
                          Answered.RESUBSCRIBED)
    if words in HELP_WORDS or words in _command_words(catalog, "help"):
        return TextAnswer(compose(lang, lang.text["help"]), code, Answered.HELP)
    if texter is None:
        return TextAnswer(compose_menu(catalog, lang, lang.text["welcome"]), code,
                          Answered.WELCOME)
    if words in MENU_WORDS or words in _command_words(catalog, "main_menu") or \
            words in {normalise(g) for c in catalog.flow.languages
                      for g in catalog.languages[c].greetings}:
        return TextAnswer(compose_menu(catalog, lang), code, Answered.MENU)
    number = ascii_int(words)
    if number is not None:
        if 1 <= number <= len(catalog.flow.topics):
            topic_id = catalog.flow.topics[number - 1]
            return TextAnswer(compose_topic(lang, topic_id), code, Answered.TOPIC, topic_id)
        return TextAnswer(compose_menu(catalog, lang, lang.text["unknown"]), code,
                          Answered.UNKNOWN)
    found = best_matches(body, _topic_phrases(catalog))
    if len(found) == 1:
        return TextAnswer(compose_topic(lang, found[0]), code, Answered.TOPIC, found[0])
    if found:
        return TextAnswer(compose_choices(catalog, lang, found[:3]), code, Answered.CHOICES)
    return TextAnswer(compose_menu(catalog, lang, lang.text["unknown"]), code,
                      Answered.UNKNOWN)


def _command_words(catalog: Catalog, command: str) -> set[str]:
    return {normalise(w) for lang in catalog.languages.values() for w in lang.commands[command]}


def _topic_phrases(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    phrases: dict[str, tuple[str, ...]] = {}
    for other in catalog.languages.values():
        for topic in other.topics.values():
            phrases[topic.id] = phrases.get(topic.id, ()) + (topic.label, *topic.words)
    return phrases


# ---------------------------------------------------------------------------- composing

def compose(lang: Language, text: str) -> str:
    """A reply: the text, then the short disclaimer; GSM-7, cut to fit three segments."""
    return _composed(text, lang.text["disclaimer"])


@functools.lru_cache(maxsize=1024)  # the same few dozen replies, over and over
def _composed(text: str, disclaimer: str) -> str:
    ending = "\n" + disclaimer
    text = gsm.to_gsm7(text)
    limit = gsm.MULTI_SEGMENT * MAX_SEGMENTS - gsm.septets(gsm.to_gsm7(ending))
    if gsm.septets(text) > limit:
        text = _shorten(text, limit)
    return gsm.to_gsm7(text + ending)


def _shorten(text: str, limit: int) -> str:
    """Cut at the last sentence that fits (the check command warns operators long before)."""
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("\n"))
    return cut[: end + 1].rstrip() if end > 0 else cut[: limit - 3].rstrip() + "..."


def topic_body(lang: Language, topic_id: str) -> str:
    """A topic's text as sent, before the disclaimer (``check`` measures it too)."""
    return f"{lang.topics[topic_id].text}\n{lang.text['more']}"


def compose_topic(lang: Language, topic_id: str) -> str:
    return compose(lang, topic_body(lang, topic_id))


def compose_menu(catalog: Catalog, lang: Language, first_line: str = "") -> str:
    lines = [first_line] if first_line else []
    lines.append(lang.text["menu_header"])
    lines += [f"{n} {_capital(lang.topics[t].label)}"
              for n, t in enumerate(catalog.flow.topics, start=1)]
    lines.append(lang.text["menu_footer"])
    return compose(lang, "\n".join(lines))


def compose_choices(catalog: Catalog, lang: Language, topic_ids: list[str]) -> str:
    numbers = {t: n for n, t in enumerate(catalog.flow.topics, start=1)}
    lines = [lang.text["did_you_mean"]]
    lines += [f"{numbers[t]} {_capital(lang.topics[t].label)}" for t in topic_ids]
    return compose(lang, "\n".join(lines))


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]
