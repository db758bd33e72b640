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
from ..text.matching import normalise
from ..text.placeholders import fill
from .guards import Texter
from .outcomes import Answered, EventKind, Happened
from .red_flags import detect
from .understand import understand

# Twilio's standard keywords (its Advanced Opt-Out may add more through OptOutType), and
# their Spanish counterparts (CTIA's guidance for Spanish-language programs).
OPT_OUT_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout",
                 "alto", "parar", "cancelar", "baja"}
OPT_OUT_FIRST_WORDS = {"stop", "stopall", "unsubscribe", "optout"}  # "stop texting me"
OPT_IN_WORDS = {"start", "unstop", "yes", "comenzar"}
HELP_WORDS = {"help", "info", "ayuda"}
# The language a keyword is in, for a texter the line does not know yet.
KEYWORD_LANGUAGE = {"ayuda": "es", "comenzar": "es"}
MENU_WORDS = {"menu", "list", "topics"}
MORE_WORDS = {"more", "mas"}  # the next page of the topic list
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
    red_flag: str = ""  # emergency or urgent, when that was answered first

    @property
    def happened(self) -> Happened:
        if self.red_flag:
            return Happened(EventKind.RED_FLAG, self.language, outcome=self.red_flag)
        kind = EventKind.SMS_UNREADABLE if self.kind in UNREADABLE else EventKind.SMS_ANSWERED
        return Happened(kind, self.language, self.topic, self.kind)

    def changes_language_of(self, texter: Texter | None) -> bool:
        """Whether the texter's stored language must change (a text that could not be read
        says nothing about it)."""
        if self.kind in UNREADABLE or (self.red_flag and texter is not None):
            return False  # a red flag is answered in its words' language, once
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


def answer_unreadable(catalog: Catalog, texter: Texter | None, why: Answered,
                      body: str = "") -> TextAnswer:
    """One polite sentence for a text that cannot be read, in the texter's language; but a
    red flag in its words ("my chest hurts" with a photo) is answered first, as always."""
    flagged = _red_flag_answer(catalog, texter, body[:MAX_BODY])
    if flagged is not None:
        return flagged
    lang = catalog.language(texter.language if texter else None)
    return TextAnswer(compose(lang, lang.text[why.value]), lang.code, why)


def _red_flag_answer(catalog: Catalog, texter: Texter | None, body: str) -> TextAnswer | None:
    """A red flag's wording, in the language it was written in, then the topic list."""
    flag = detect(catalog, body, texter.language if texter else None)
    if flag is None:
        return None
    lang = catalog.languages[flag.lang]
    wording = lang.red_flags.groups[flag.kind].text
    return TextAnswer(compose_menu(catalog, lang, wording), flag.lang, Answered.RED_FLAG,
                      red_flag=flag.kind)


def answer_text(catalog: Catalog, texter: Texter | None, body: str,
                resubscribed: bool = False) -> TextAnswer:
    """The reply to one text (pure). ``texter`` is None for a number never seen before.

    A red flag comes first ("my chest hurts"): its wording, in the language it was
    written in, then the topic list."""
    code = catalog.language(texter.language if texter else None).code
    flagged = _red_flag_answer(catalog, texter, body)
    if flagged is not None:
        return flagged
    words = normalise(body)
    greeting = False
    for other in catalog.flow.languages:
        chosen = catalog.languages[other]
        if words in {normalise(w) for w in chosen.words}:
            return TextAnswer(compose_language_set(catalog, chosen, first=texter is None),
                              other, Answered.LANGUAGE)
        if words in {normalise(g) for g in chosen.greetings}:
            greeting = True
            if texter is None:
                code = other  # "hola" as a first text: answer in Spanish
    if texter is None and KEYWORD_LANGUAGE.get(words) in catalog.languages:
        code = KEYWORD_LANGUAGE[words]
    lang = catalog.languages[code]
    if resubscribed:
        return TextAnswer(compose_menu(catalog, lang, lang.text["resubscribed"]), code,
                          Answered.RESUBSCRIBED)
    if words in HELP_WORDS or words in _command_words(catalog, "help"):
        return TextAnswer(compose_help(lang), code, Answered.HELP)
    menu = words in MENU_WORDS or words in _command_words(catalog, "main_menu")
    if texter is None and (greeting or menu or not words):
        return TextAnswer(compose_first(catalog, lang), code, Answered.WELCOME)
    if menu or greeting:
        return TextAnswer(compose_menu(catalog, lang), code, Answered.MENU)
    page = page_asked(words)
    if page is not None:
        return TextAnswer(compose_menu(catalog, lang, page=page), code, Answered.MENU)
    number = ascii_int(words)
    if number is not None:
        if 1 <= number <= len(catalog.flow.topics):
            topic_id = catalog.flow.topics[number - 1]
            return TextAnswer(compose_topic(lang, topic_id), code, Answered.TOPIC, topic_id)
        return _not_understood(catalog, lang, texter)
    asked = understand(catalog, body[:MAX_BODY], code)
    if not asked.anything:
        return _not_understood(catalog, lang, texter)
    # Answered in the language it was asked in: a Spanish question from an "English" number.
    lang = catalog.languages[asked.language]
    if asked.topic:
        body_text = compose_topic(lang, asked.topic, first=texter is None)
        return TextAnswer(body_text, lang.code, Answered.TOPIC, asked.topic)
    return TextAnswer(compose_choices(catalog, lang, list(asked.choices)), lang.code,
                      Answered.CHOICES)


def _not_understood(catalog: Catalog, lang: Language, texter: Texter | None) -> TextAnswer:
    """The topic list, as a first text gets it (welcome) or after "did not understand"."""
    if texter is None:
        return TextAnswer(compose_first(catalog, lang), lang.code, Answered.WELCOME)
    return TextAnswer(compose_menu(catalog, lang, lang.text["unknown"]), lang.code,
                      Answered.UNKNOWN)


def _command_words(catalog: Catalog, command: str) -> set[str]:
    return {normalise(w) for lang in catalog.languages.values() for w in lang.commands[command]}


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


def topic_body(lang: Language, topic_id: str, first: bool = False) -> str:
    """A topic's text as sent, before the disclaimer (``check`` measures it too). A first
    text's answer ends with "Emergency? Call 911." and the welcome line (what the line is,
    MENU, HELP and STOP) instead of the usual "Reply MENU for all topics"."""
    return f"{lang.topics[topic_id].text}\n{_topic_ending(lang, first)}"


def _topic_ending(lang: Language, first: bool) -> str:
    if first:
        return f"{lang.text['emergency']}\n{lang.text['first_answer']}"
    return lang.text["more"]


def compose_topic(lang: Language, topic_id: str, first: bool = False) -> str:
    if first and not fits(lang, topic_body(lang, topic_id, first=True)):
        # Never cut a topic short for the welcome line (check warns); 911 still comes.
        text = f"{lang.topics[topic_id].text}\n{lang.text['emergency']}\n{lang.text['more']}"
        return compose(lang, text if fits(lang, text) else topic_body(lang, topic_id))
    return compose(lang, topic_body(lang, topic_id, first))


def compose_first(catalog: Catalog, lang: Language) -> str:
    """The first reply a new texter gets: welcome, "Emergency? Call 911.", the list."""
    return compose_menu(catalog, lang, f"{lang.text['welcome']}\n{lang.text['emergency']}")


def compose_language_set(catalog: Catalog, lang: Language, first: bool) -> str:
    """"OK, English from now on." and the list; as a first reply, with "Emergency? Call 911."."""
    line = lang.text["language_set"]
    return compose_menu(catalog, lang, f"{line}\n{lang.text['emergency']}" if first else line)


def compose_help(lang: Language) -> str:
    """The reply to HELP: how the line works, "Emergency? Call 911.", rates and STOP."""
    return compose(lang, f"{lang.text['emergency']}\n{lang.text['help']}")


def fits(lang: Language, text: str, segments: int = MAX_SEGMENTS) -> bool:
    """Whether ``text`` with the disclaimer fits in ``segments`` SMS segments."""
    return gsm.segments(gsm.to_gsm7(f"{text}\n{lang.text['disclaimer']}")) <= segments


def compose_menu(catalog: Catalog, lang: Language, first_line: str = "", page: int = 1) -> str:
    """The numbered topic list, one page of it (``menu_pages``)."""
    pages = menu_pages(catalog, lang, first_line)
    return compose(lang, pages[min(max(page, 1), len(pages)) - 1])


def menu_pages(catalog: Catalog, lang: Language, first_line: str = "") -> list[str]:
    """The topic list in pages of at most ``MENU_SEGMENTS`` segments each (with the
    disclaimer): as many topics as fit, then "More topics: reply MORE." while some are
    left. A topic keeps its number on every page, so "12" works from any of them."""
    numbered = [f"{n} {_capital(lang.topics[t].label)}"
                for n, t in enumerate(catalog.flow.topics, start=1)]
    pages: list[str] = []
    start = 0
    while start < len(numbered) or not pages:
        head = ([first_line] if first_line and not pages else []) + [lang.text["menu_header"]]
        take = len(numbered) - start
        while True:
            left = start + take < len(numbered)
            more = [fill(lang.text["more_topics"], {"word": more_word(len(pages) + 2)})] \
                if left else []
            page = "\n".join([*head, *numbered[start:start + take], *more,
                              lang.text["menu_footer"]])
            if take <= 1 or fits(lang, page, MENU_SEGMENTS):
                break
            take -= 1  # one topic fewer on this page, and a MORE line
        pages.append(page)
        start += max(take, 1)
    return pages


def more_word(page: int) -> str:
    """What a texter sends for a page of the list: MORE (page 2), MORE 3, MORE 4 ..."""
    return "MORE" if page == 2 else f"MORE {page}"


def page_asked(words: str) -> int | None:
    """The page a text asks for ("more" -> 2, "more 3" -> 3, Spanish "mas"), or None."""
    parts = words.split()
    if not parts or parts[0] not in MORE_WORDS or len(parts) > 2:
        return None
    if len(parts) == 1:
        return 2
    return int(parts[1]) if parts[1].isdigit() and len(parts[1]) <= 2 else None


def compose_choices(catalog: Catalog, lang: Language, topic_ids: list[str]) -> str:
    numbers = {t: n for n, t in enumerate(catalog.flow.topics, start=1)}
    lines = [lang.text["did_you_mean"]]
    lines += [f"{numbers[t]} {_capital(lang.topics[t].label)}" for t in topic_ids]
    return compose(lang, "\n".join(lines))


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]
