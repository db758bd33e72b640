"""The call engine: given where a caller is and what they did, decide what they hear.

Pure: it reads the catalog and returns a ``Step`` (things to say, a menu to gather an
answer with, or the end of the call); it does no I/O. ``web.twiml.render_step`` is the one
place a step becomes TwiML. The whole state of a call travels in the URL of the next
request (``CallState``), so the voice path needs no database.

Where a caller is, is a ``Node`` (written into the URL as ``at``): ``language`` (the
language choice), a menu id from flow.toml, ``topic.<id>`` (after a topic: again, main
menu, end, text me this) and ``pick.<id>.<id>`` (a "did you mean"). "Text me this" needs
the outside world: the engine returns a step naming the topic (``send_text``), the voice
view sends it and asks ``after_text`` what to say about it. Each step also notes what
happened (``happened``), which the view records as usage events. Keys that work at every
menu (ISO/IEC 13714 where it speaks): ``*`` back, ``0`` help, ``#`` hear this again,
``9`` main menu.

A returning caller whose language the line remembers (``start_call(catalog, known)``) is
welcomed in that language only and taken straight to its main menu, which first offers
the other languages, each in its own words and on a key no menu uses (``OFFER_KEYS``: 8,
then 7 and 6). The offer lasts while the caller stays at that main menu (``offer`` in the
state); it works by key and by saying the language ("English", "inglés", "español"). A
language the caller picks (``remember``) is for the web layer to remember, never the one
a caller who did not choose was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..catalog import Catalog, Language
from ..text.digits import ascii_int
from ..text.matching import best_matches, normalise
from ..text.placeholders import fill
from ..text.understanding import spoken_key, stop_words, words_of
from .outcomes import CallEnd, EventKind, Happened, KeyAction, NodeKind, TextMeOutcome
from .red_flags import detect
from .understand import Understood, understand

BACK, HELP, REPEAT, MAIN = "*", "0", "#", "9"
# After a topic only what is new there: "hear this again" is # and "main menu" is 9.
TOPIC_TEXT, TOPIC_END = "1", "2"
LANGUAGE = NodeKind.LANGUAGE.value
LOW_CONFIDENCE = 0.4  # below this, a single understood topic is confirmed, not assumed
MAX_MISSES = 3  # after three misses the help is added; counting further changes nothing
MAX_PICKS = 3  # a "did you mean" offers at most three topics
KEYPAD = frozenset("0123456789*#")
# Keys that switch language at a main menu that offers it: menus use only 1 to 5, and
# 0, 9, * and # work everywhere.
OFFER_KEYS = ("8", "7", "6")
REMEMBERED = "remembered"  # the outcome of a language the line knew, not chosen in the call


@dataclass(frozen=True)
class Node:
    """A place in the call: its kind and the ids it names (a menu, a topic, or the topics
    of a "did you mean"). ``str(node)`` is how it is written in the URL."""

    kind: NodeKind
    ids: tuple[str, ...] = ()

    @classmethod
    def parse(cls, at: str) -> Node:
        if at == LANGUAGE:
            return cls(NodeKind.LANGUAGE)
        head, _, rest = at.partition(".")
        if head == NodeKind.TOPIC and rest:
            return cls(NodeKind.TOPIC, (rest,))
        if head == NodeKind.PICK and rest:
            return cls(NodeKind.PICK, tuple(rest.split(".")))
        return cls(NodeKind.MENU, (at,))

    @classmethod
    def topic(cls, topic_id: str) -> Node:
        return cls(NodeKind.TOPIC, (topic_id,))

    @classmethod
    def menu(cls, menu_id: str) -> Node:
        return cls(NodeKind.MENU, (menu_id,))

    @classmethod
    def pick(cls, topic_ids: list[str] | tuple[str, ...]) -> Node:
        return cls(NodeKind.PICK, tuple(topic_ids[:MAX_PICKS]))

    @property
    def id(self) -> str:
        """The menu's or the topic's id ("" for the language choice)."""
        return self.ids[0] if self.ids else ""

    def __str__(self) -> str:
        if self.kind is NodeKind.LANGUAGE:
            return LANGUAGE
        if self.kind is NodeKind.MENU:
            return self.id
        return ".".join((self.kind.value, *self.ids))

    def exists_in(self, catalog: Catalog) -> bool:
        if self.kind is NodeKind.LANGUAGE:
            return True
        if self.kind is NodeKind.MENU:
            return self.id in catalog.flow.menus
        if self.kind is NodeKind.PICK and not 0 < len(self.ids) <= MAX_PICKS:
            return False
        return all(t in catalog.flow.topics for t in self.ids)


@dataclass(frozen=True)
class CallState:
    """Where a caller is; round-trips through the next request's query string."""

    lang: str = ""
    at: str = LANGUAGE
    trail: tuple[str, ...] = ()  # the nodes "back" returns to, oldest first
    silences: int = 0
    misses: int = 0
    offer: bool = False  # this main menu offers the other languages (a returning caller)

    @property
    def node(self) -> Node:
        return Node.parse(self.at)

    def to_query(self) -> dict[str, str]:
        query = {"lang": self.lang, "at": self.at}
        if self.trail:
            query["trail"] = ",".join(self.trail)
        if self.silences:
            query["s"] = str(self.silences)
        if self.misses:
            query["m"] = str(self.misses)
        if self.offer:
            query["o"] = "1"
        return query

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> CallState:
        """Read a state from request args, tolerating anything (it came over the wire)."""
        def count(name: str) -> int:
            return ascii_int(args.get(name, "0"), 2) or 0

        trail = tuple(t for t in str(args.get("trail", ""))[:200].split(",") if t)
        return cls(str(args.get("lang", ""))[:10], str(args.get("at", LANGUAGE))[:100],
                   trail[-10:], count("s"), count("m"), args.get("o") == "1")


@dataclass(frozen=True)
class Speech:
    """One thing said. ``key`` names the prompt (for a recorded file), "" when composed."""

    lang: str
    text: str
    key: str = ""


@dataclass(frozen=True)
class Gather:
    """A menu: ``prompt`` is said while listening; the answer is read in ``state``."""

    lang: str
    prompt: tuple[Speech, ...]
    state: CallState
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    say: tuple[Speech, ...] = ()
    gather: Gather | None = None
    hangup: bool = False
    send_text: str = ""  # a topic to text to the caller; then ``after_text`` goes on
    happened: tuple[Happened, ...] = ()
    remember: str = ""  # a language the caller chose: for the web layer to remember


@dataclass(frozen=True)
class CallerInput:
    digits: str = ""
    speech: str = ""
    confidence: float | None = None

    @property
    def silent(self) -> bool:
        return not self.digits.strip() and not self.speech.strip()


# ------------------------------------------------------------------------------ entry points

def start_call(catalog: Catalog, known_language: str | None = None) -> Step:
    """A new call: welcome and emergency notice in every language, then the language choice.
    A caller whose language is known (``known_language``, remembered from an earlier call
    or text) hears them in that language only, then its main menu, offering the others."""
    if len(catalog.flow.languages) == 1:
        lang = catalog.language(None)
        alone = (_say(lang, "welcome"), _say(lang, "emergency"))
        return _with_prefix(enter(catalog, _at_main(catalog, lang)), alone)
    if known_language in catalog.flow.languages:
        lang = catalog.languages[known_language or ""]
        greeting = (_say(lang, "welcome"), _say(lang, "emergency"))
        step = _with_prefix(enter(catalog, replace(_at_main(catalog, lang), offer=True)),
                            greeting)
        return _noting(step, Happened(EventKind.LANGUAGE_CHOSEN, lang.code, outcome=REMEMBERED))
    opening = tuple(s for code in catalog.flow.languages
                    for s in (_say(catalog.languages[code], "welcome"),
                              _say(catalog.languages[code], "emergency")))
    return Step(say=opening, gather=_language_choice(catalog, CallState()))


def answer(catalog: Catalog, state: CallState, given: CallerInput) -> Step:
    """What the caller hears after pressing, speaking, or staying silent at ``state``."""
    state = _valid(catalog, state)
    if state.node.kind is NodeKind.LANGUAGE:
        return _answer_language(catalog, state, given)
    lang = catalog.language(state.lang)
    if given.silent:
        return _silence(catalog, lang, state)
    key = given.digits.strip()[:1]
    if key not in KEYPAD:
        # Only a real keypad key may be echoed back ("Sorry, 7 is not a choice"); anything
        # else (line noise, a forged request) is treated as speech we did not understand.
        key = ""
    if not key:
        key = spoken_key(given.speech, lang.code)  # "two", "press 2", "oprimo dos"
    if key:
        return _press(catalog, lang, state, key)
    return _hear(catalog, lang, state, given)


def resume(catalog: Catalog, state: CallState) -> Step:
    """Offer the menu at ``state`` again without reading any input (e.g. after an error)."""
    state = _valid(catalog, state)
    if state.node.kind is NodeKind.LANGUAGE:
        return Step(gather=_language_choice(catalog, state))
    return enter(catalog, state, replay=False)


def end_call(lang: Language, *reason: Speech, how: CallEnd = CallEnd.CALLER) -> Step:
    """Every ending: why, then the disclaimer and the physician prompt, and only then
    goodbye (a caller who hangs up at "goodbye" has heard them), then hang up."""
    return Step(say=(*reason, _say(lang, "disclaimer"), _say(lang, "physician"),
                     _say(lang, "goodbye")), hangup=True,
                happened=(Happened(EventKind.CALL_ENDED, lang.code, outcome=how),))


def after_text(catalog: Catalog, state: CallState, outcome: TextMeOutcome) -> Step:
    """After "text me this": one sentence on how it went (``text_<outcome>``), then the menu."""
    state = _valid(catalog, state)
    lang = catalog.language(state.lang)
    key = f"text_{outcome}" if f"text_{outcome}" in lang.call else "text_failed"
    node = state.node
    topic = node.id if node.kind is NodeKind.TOPIC else ""
    step = _with_prefix(enter(catalog, _fresh(state), replay=False), (_say(lang, key),))
    return replace(step, happened=(Happened(EventKind.TOPIC_TEXTED, lang.code, topic,
                                            outcome),))


def enter(catalog: Catalog, state: CallState, replay: bool = True, keys: bool = False) -> Step:
    """Arrive at ``state.at``: a topic is spoken (unless ``replay`` is off), a menu offered;
    with ``keys``, the keys that work everywhere follow (after a miss or a silence)."""
    lang = catalog.language(state.lang)
    node = state.node
    if node.kind is NodeKind.TOPIC:
        return _enter_topic(catalog, lang, state, replay, keys)
    if node.kind is NodeKind.PICK:
        first = lang.topics[node.ids[0]].label
        prompt = (Speech(lang.code, lang.said("did_you_mean", label=first)),
                  *(Speech(lang.code, lang.option(lang.topics[t].label, str(i)))
                    for i, t in enumerate(node.ids, start=1)))
        return Step(gather=Gather(lang.code, (*prompt, *_keys(lang, keys)), state,
                                  _hints(lang)))
    menu = catalog.flow.menus[node.id]
    main = menu.id == catalog.flow.main_menu
    if main:
        intro = _say(lang, "main_menu_intro")
    else:
        intro = Speech(lang.code, lang.said("menu_intro", label=lang.menus[menu.id]))
    offers = tuple(Speech(lang.code, lang.option(_label(lang, o.menu, o.topic), o.key))
                   for o in menu.options)
    # The keys that work everywhere are said once, at the main menu (help and repeat;
    # back and main menu mean nothing there), and in full after a miss or a silence.
    tail = (_say(lang, "menu_keys"),) if main and not keys else ()
    # The other languages first, each in its own words: who needs one hears it at once.
    others = _offered(catalog, lang) if main and state.offer else {}
    switch = tuple(Speech(code, fill(catalog.languages[code].call["offer"], {"key": key}),
                          "call.offer") for code, key in others.items())
    hints = (*_hints(lang), *(w for code in others for w in catalog.languages[code].words))
    return Step(gather=Gather(lang.code, (*switch, intro, *offers, *tail, *_keys(lang, keys)),
                              state, hints))


# ------------------------------------------------------------------------------- internals

def _enter_topic(catalog: Catalog, lang: Language, state: CallState, replay: bool,
                 keys: bool = False) -> Step:
    topic = lang.topics[state.node.id]
    said = (Speech(lang.code, topic.spoken, f"topic.{topic.id}"),
            _say(lang, "topic_reminder")) if replay else ()
    prompt = (Speech(lang.code, lang.action(lang.call["text_label"], TOPIC_TEXT)),
              Speech(lang.code, lang.action(lang.call["end_label"], TOPIC_END)))
    onward = () if keys else (
        Speech(lang.code, lang.option(lang.menus[catalog.flow.main_menu], MAIN)),)
    heard = (Happened(EventKind.TOPIC_HEARD, lang.code, topic.id),) if replay else ()
    return Step(say=said, gather=Gather(lang.code, (*prompt, *onward, *_keys(lang, keys)),
                                        state, _hints(lang)), happened=heard)


def _keys(lang: Language, keys: bool) -> tuple[Speech, ...]:
    return (_say(lang, "universal"),) if keys else ()


def _say(lang: Language, key: str) -> Speech:
    return Speech(lang.code, lang.call[key], f"call.{key}")


def _label(lang: Language, menu: str | None, topic: str | None) -> str:
    return lang.menus[menu] if menu else lang.topics[topic or ""].label


def _with_prefix(step: Step, prefix: tuple[Speech, ...]) -> Step:
    return replace(step, say=(*prefix, *step.say))


def _noting(step: Step, *happened: Happened) -> Step:
    return replace(step, happened=(*happened, *step.happened))


def _hints(lang: Language) -> tuple[str, ...]:
    return tuple(t.label for t in lang.topics.values())


def _at_main(catalog: Catalog, lang: Language) -> CallState:
    return CallState(lang.code, catalog.flow.main_menu)


def _main_again(catalog: Catalog, lang: Language, state: CallState) -> CallState:
    """The main menu, from ``state``: still offering the other languages if it did."""
    offer = state.offer and state.at == catalog.flow.main_menu
    return replace(_at_main(catalog, lang), offer=offer)


def _offered(catalog: Catalog, lang: Language) -> dict[str, str]:
    """The languages a main menu in ``lang`` offers instead, by key (at most three)."""
    others = [code for code in catalog.flow.languages if code != lang.code]
    return dict(zip(others, OFFER_KEYS, strict=False))


def _switch(catalog: Catalog, code: str) -> Step:
    """The caller picked ``code`` at a main menu that offered it: that main menu, still
    offering the others (a key pressed by mistake is undone the same way)."""
    lang = catalog.languages[code]
    step = enter(catalog, replace(_at_main(catalog, lang), offer=True))
    return replace(_noting(step, Happened(EventKind.LANGUAGE_CHOSEN, code)), remember=code)


def _language_named(catalog: Catalog, said: str) -> str | None:
    """The language a request names as a whole ("English", "inglés", "español"), if any."""
    plain = normalise(said)
    return next((code for code in catalog.flow.languages
                 if plain in {normalise(w) for w in catalog.languages[code].words}), None)


def _valid(catalog: Catalog, state: CallState) -> CallState:
    """A state naming things that do not exist (an old or forged URL) becomes the main menu."""
    if state.node.kind is NodeKind.LANGUAGE:
        return state
    if state.lang not in catalog.languages or not state.node.exists_in(catalog):
        return _at_main(catalog, catalog.language(state.lang)) \
            if state.lang in catalog.languages else CallState()
    trail = tuple(t for t in state.trail if Node.parse(t).exists_in(catalog))
    return replace(state, trail=trail)


def _language_choice(catalog: Catalog, state: CallState) -> Gather:
    default = catalog.language(None)
    prompt = tuple(Speech(code, fill(catalog.languages[code].choose, {"key": str(i)}),
                          "language.choose")
                   for i, code in enumerate(catalog.flow.languages, start=1))
    hints = tuple(w for code in catalog.flow.languages for w in catalog.languages[code].words)
    return Gather(default.code, prompt, state, hints)


def _answer_language(catalog: Catalog, state: CallState, given: CallerInput) -> Step:
    codes = catalog.flow.languages
    chosen = None
    key = ascii_int(given.digits.strip()[:1], 1)
    if key is not None and 1 <= key <= len(codes):
        chosen = codes[key - 1]
    elif given.speech.strip():
        flag = detect(catalog, given.speech, None)
        if flag is not None:  # said before any menu, in the language it was said in
            step = _red_flag_first(catalog, CallState(flag.lang, catalog.flow.main_menu),
                                   flag.lang, flag.kind)
            return replace(_noting(step, Happened(EventKind.LANGUAGE_CHOSEN, flag.lang)),
                           remember=flag.lang)
        chosen = _language_named(catalog, given.speech)
        # The first prompt listens: "what are the risks" goes straight to the risks, in
        # the language it was said in ("es" in "qué es" does not choose Spanish).
        asked = understand(catalog, given.speech, codes[0]) if chosen is None else None
        if asked is not None and asked.anything:
            step = _to_understood(catalog, CallState(asked.language, catalog.flow.main_menu),
                                  asked, given)
            return replace(_noting(step, Happened(EventKind.LANGUAGE_CHOSEN, asked.language)),
                           remember=asked.language)
        if chosen is None:
            words = {c: catalog.languages[c].words for c in codes}
            found = best_matches(given.speech, words)  # "in english please"
            chosen = found[0] if len(found) == 1 else None
    picked = chosen
    if chosen is None and (given.silent and state.silences >= 1 or state.misses >= 2):
        chosen = codes[0]  # never a dead end: after a second try, carry on in the default
    if chosen is not None:
        step = _noting(enter(catalog, CallState(chosen, catalog.flow.main_menu)),
                       Happened(EventKind.LANGUAGE_CHOSEN, chosen))
        return replace(step, remember=picked or "")  # the default is not the caller's choice
    default = catalog.language(None)
    if given.silent:
        again = replace(state, silences=state.silences + 1)
        return Step(say=(Speech(default.code, default.no_input[0], "call.no_input"),),
                    gather=_language_choice(catalog, again),
                    happened=(Happened(EventKind.REPROMPT, default.code),))
    again = replace(state, misses=min(state.misses + 1, MAX_MISSES))
    missed = EventKind.INVALID_KEY if given.digits.strip() else EventKind.NOT_UNDERSTOOD
    return Step(say=(_say(default, "not_understood"),), gather=_language_choice(catalog, again),
                happened=(Happened(missed, default.code),))


def _silence(catalog: Catalog, lang: Language, state: CallState) -> Step:
    """Escalating reprompts; after the last one, end the call politely."""
    count = state.silences + 1
    if count >= len(lang.no_input):
        return end_call(lang, Speech(lang.code, lang.no_input[-1], "call.no_input"),
                        how=CallEnd.NO_INPUT)
    reprompt: tuple[Speech, ...] = (Speech(lang.code, lang.no_input[count - 1], "call.no_input"),)
    if count >= 2:
        reprompt = (*reprompt, _say(lang, "speak_hint"))
    step = _with_prefix(enter(catalog, replace(state, silences=count), replay=False,
                              keys=True), reprompt)
    return _noting(step, Happened(EventKind.REPROMPT, lang.code))


def _press(catalog: Catalog, lang: Language, state: CallState, key: str) -> Step:
    if key == BACK:
        return _back(catalog, lang, state)
    if key == HELP:
        return _with_prefix(enter(catalog, _fresh(state), replay=False), (_say(lang, "help"),))
    if key == REPEAT:
        return enter(catalog, _fresh(state))
    if key == MAIN:
        return enter(catalog, _main_again(catalog, lang, state))
    if state.offer and state.at == catalog.flow.main_menu:
        switch = {k: code for code, k in _offered(catalog, lang).items()}
        if key in switch:
            return _switch(catalog, switch[key])
    target = _target_of_key(catalog, state, key)
    if target is KeyAction.END:
        return end_call(lang)
    if target is KeyAction.TEXT:
        return Step(send_text=state.node.id)
    if target is not None:
        return _go(catalog, lang, state, target)
    missed = replace(state, misses=min(state.misses + 1, MAX_MISSES), silences=0)
    sorry = Speech(lang.code, lang.said("invalid_key", key=lang.key_name(key)))
    extra = (_say(lang, "help"),) if missed.misses >= 3 else ()
    step = _with_prefix(enter(catalog, missed, replay=False, keys=True), (sorry, *extra))
    return _noting(step, Happened(EventKind.INVALID_KEY, lang.code))


def _target_of_key(catalog: Catalog, state: CallState, key: str) -> Node | KeyAction | None:
    """Where a key leads at ``state``: a node, an action after a topic, or nowhere (None)."""
    node = state.node
    if node.kind is NodeKind.TOPIC:
        after_topic: dict[str, Node | KeyAction] = {
            TOPIC_TEXT: KeyAction.TEXT, TOPIC_END: KeyAction.END}
        return after_topic.get(key)
    if node.kind is NodeKind.PICK:
        picked = ascii_int(key, 1)
        if picked is not None and 0 < picked <= len(node.ids):
            return Node.topic(node.ids[picked - 1])
        return None
    option = catalog.flow.menus[node.id].option_for(key)
    if option is None:
        return None
    return Node.menu(option.menu) if option.menu else Node.topic(option.topic or "")


def _go(catalog: Catalog, lang: Language, state: CallState, target: Node) -> Step:
    if target == Node.menu(catalog.flow.main_menu):
        return enter(catalog, _at_main(catalog, lang))
    return enter(catalog, CallState(lang.code, str(target), _trail_for(state)))


def _back(catalog: Catalog, lang: Language, state: CallState) -> Step:
    if not state.trail:
        main = _main_again(catalog, lang, state)
        if state.at == catalog.flow.main_menu:
            return _with_prefix(enter(catalog, main), (_say(lang, "back_at_main"),))
        return enter(catalog, main)
    return enter(catalog, CallState(lang.code, state.trail[-1], state.trail[:-1]), replay=False)


def _fresh(state: CallState) -> CallState:
    return replace(state, silences=0, misses=0)


COMMAND_KEYS = {"back": BACK, "help": HELP, "repeat": REPEAT, "main_menu": MAIN}


def _hear(catalog: Catalog, lang: Language, state: CallState, given: CallerInput) -> Step:
    """Spoken requests: a red flag first, then a universal command, any topic in the
    caller's words (in either language), a menu by its name, or a command said inside a
    longer sentence."""
    flag = detect(catalog, given.speech, lang.code)
    if flag is not None:
        return _red_flag_first(catalog, _fresh(state), flag.lang, flag.kind)
    offering = state.offer and state.at == catalog.flow.main_menu
    named = _language_named(catalog, given.speech) if offering else None
    if named is not None:  # "English", "inglés", "español"
        return _switch(catalog, named)
    command = _command_said(lang, given.speech)
    if command is not None:  # "go back", "go back please", "can you say that again"
        return _command(catalog, lang, state, command)
    asked = understand(catalog, given.speech, lang.code)
    if asked.anything:
        return _to_understood(catalog, state, asked, given)
    phrases: dict[str, tuple[str, ...]] = {f"@{k}": v for k, v in lang.commands.items()}
    for menu_id, label in lang.menus.items():
        if menu_id != catalog.flow.main_menu:
            phrases[menu_id] = (label,)
    if offering:  # "in English, please"
        phrases |= {f"!{code}": catalog.languages[code].words for code in catalog.flow.languages}
    found = best_matches(given.speech, phrases)
    if found and found[0].startswith("!"):
        return _switch(catalog, found[0].removeprefix("!"))
    if found and not found[0].startswith("@"):
        return _go(catalog, lang, state, Node.menu(found[0]))
    if found:
        return _command(catalog, lang, state, found[0].removeprefix("@"))
    missed = replace(state, misses=min(state.misses + 1, MAX_MISSES), silences=0)
    step = _with_prefix(enter(catalog, missed, replay=False, keys=True),
                        (_say(lang, "not_understood"),))
    return _noting(step, Happened(EventKind.NOT_UNDERSTOOD, lang.code))


def _command_said(lang: Language, speech: str) -> str | None:
    """The command a request says, alone or with nothing but small words around it ("go
    back please", "could you say that again"), or None. Read before the topics, which
    would take "go back" for going back to work; a command beside a word of its own
    ("repeat the risks") is left to them."""
    said = words_of(speech, lang.code)
    small = stop_words(lang.code)
    for command, phrases in lang.commands.items():
        for phrase in phrases:
            words = words_of(phrase, lang.code)
            for start in range(len(said) - len(words) + 1):
                if words and said[start:start + len(words)] == words and all(
                        w in small for w in said[:start] + said[start + len(words):]):
                    return command
    return None


def _command(catalog: Catalog, lang: Language, state: CallState, command: str) -> Step:
    if command == "end":
        return end_call(lang)
    return _press(catalog, lang, state, COMMAND_KEYS[command])


def _to_understood(catalog: Catalog, state: CallState, asked: Understood,
                   given: CallerInput) -> Step:
    """The topic asked for, in the language it was asked in; a close call or speech heard
    with low confidence is a "did you mean", never a guess said as if it were sure."""
    lang = catalog.language(asked.language)
    state = replace(state, lang=lang.code)
    unsure = given.confidence is not None and given.confidence < LOW_CONFIDENCE
    if asked.topic and not unsure:
        return _go(catalog, lang, state, Node.topic(asked.topic))
    pick = Node.pick(list(asked.choices) if asked.choices else [asked.topic])
    return enter(catalog, CallState(lang.code, str(pick), _trail_for(state)))


def _red_flag_first(catalog: Catalog, state: CallState, flag_lang: str, kind: str) -> Step:
    """A red flag's wording (in the language it was said in), then the menu the caller is
    at, offered again: never a topic instead."""
    wording = catalog.languages[flag_lang].red_flags.groups[kind].spoken
    step = _with_prefix(enter(catalog, state, replay=False),
                        (Speech(flag_lang, wording, f"red_flags.{kind}"),))
    return _noting(step, Happened(EventKind.RED_FLAG, flag_lang, outcome=kind))


def _trail_for(state: CallState) -> tuple[str, ...]:
    """Where "back" goes from a topic or a "did you mean" reached from ``state``."""
    if state.node.kind in (NodeKind.TOPIC, NodeKind.PICK):
        return state.trail
    return (*state.trail, state.at)[-10:]
