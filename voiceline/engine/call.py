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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..catalog import Catalog, Language
from ..text.digits import ascii_int
from ..text.matching import best_matches, normalise
from ..text.placeholders import fill
from .outcomes import CallEnd, EventKind, Happened, KeyAction, NodeKind, TextMeOutcome

BACK, HELP, REPEAT, MAIN = "*", "0", "#", "9"
TOPIC_AGAIN, TOPIC_MAIN, TOPIC_END, TOPIC_TEXT = "1", "2", "3", "4"
LANGUAGE = NodeKind.LANGUAGE.value
LOW_CONFIDENCE = 0.4  # below this, a single understood topic is confirmed, not assumed
MAX_MISSES = 3  # after three misses the help is added; counting further changes nothing
MAX_PICKS = 3  # a "did you mean" offers at most three topics
KEYPAD = frozenset("0123456789*#")


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
        return query

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> CallState:
        """Read a state from request args, tolerating anything (it came over the wire)."""
        def count(name: str) -> int:
            return ascii_int(args.get(name, "0"), 2) or 0

        trail = tuple(t for t in str(args.get("trail", ""))[:200].split(",") if t)
        return cls(str(args.get("lang", ""))[:10], str(args.get("at", LANGUAGE))[:100],
                   trail[-10:], count("s"), count("m"))


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


@dataclass(frozen=True)
class CallerInput:
    digits: str = ""
    speech: str = ""
    confidence: float | None = None

    @property
    def silent(self) -> bool:
        return not self.digits.strip() and not self.speech.strip()


# ------------------------------------------------------------------------------ entry points

def start_call(catalog: Catalog) -> Step:
    """A new call: welcome and emergency notice in every language, then the language choice."""
    if len(catalog.flow.languages) == 1:
        lang = catalog.language(None)
        alone = (_say(lang, "welcome"), _say(lang, "emergency"))
        return _with_prefix(enter(catalog, _at_main(catalog, lang)), alone)
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
        spoken = normalise(given.speech)
        if spoken in {str(n) for n in range(10)}:
            key = spoken
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
    """Every ending: why, then goodbye, the disclaimer and the physician prompt, then hang up."""
    return Step(say=(*reason, _say(lang, "goodbye"), _say(lang, "disclaimer"),
                     _say(lang, "physician")), hangup=True,
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


def enter(catalog: Catalog, state: CallState, replay: bool = True) -> Step:
    """Arrive at ``state.at``: a topic is spoken (unless ``replay`` is off), a menu offered."""
    lang = catalog.language(state.lang)
    node = state.node
    if node.kind is NodeKind.TOPIC:
        return _enter_topic(catalog, lang, state, replay)
    if node.kind is NodeKind.PICK:
        first = lang.topics[node.ids[0]].label
        prompt = (Speech(lang.code, lang.said("did_you_mean", label=first)),
                  *(Speech(lang.code, lang.option(lang.topics[t].label, str(i)))
                    for i, t in enumerate(node.ids, start=1)),
                  _say(lang, "universal"))
        return Step(gather=Gather(lang.code, prompt, state, _hints(lang)))
    menu = catalog.flow.menus[node.id]
    if menu.id == catalog.flow.main_menu:
        intro = _say(lang, "main_menu_intro")
    else:
        intro = Speech(lang.code, lang.said("menu_intro", label=lang.menus[menu.id]))
    offers = tuple(Speech(lang.code, lang.option(_label(lang, o.menu, o.topic), o.key))
                   for o in menu.options)
    tail = (_say(lang, "speak_hint"),) if menu.id == catalog.flow.main_menu else ()
    return Step(gather=Gather(lang.code, (intro, *offers, *tail, _say(lang, "universal")),
                              state, _hints(lang)))


# ------------------------------------------------------------------------------- internals

def _enter_topic(catalog: Catalog, lang: Language, state: CallState, replay: bool) -> Step:
    topic = lang.topics[state.node.id]
    said = (Speech(lang.code, topic.spoken, f"topic.{topic.id}"),
            _say(lang, "topic_reminder")) if replay else ()
    options = ((TOPIC_AGAIN, lang.call["again_label"]), (TOPIC_MAIN, lang.call["main_label"]),
               (TOPIC_END, lang.call["end_label"]), (TOPIC_TEXT, lang.call["text_label"]))
    prompt = tuple(Speech(lang.code, lang.option(label, key)) for key, label in options)
    heard = (Happened(EventKind.TOPIC_HEARD, lang.code, topic.id),) if replay else ()
    return Step(say=said, gather=Gather(lang.code, (*prompt, _say(lang, "universal")),
                                        state, _hints(lang)), happened=heard)


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
        found = best_matches(given.speech, {c: catalog.languages[c].words for c in codes})
        chosen = found[0] if len(found) == 1 else None
    if chosen is None and (given.silent and state.silences >= 1 or state.misses >= 2):
        chosen = codes[0]  # never a dead end: after a second try, carry on in the default
    if chosen is not None:
        return _noting(enter(catalog, CallState(chosen, catalog.flow.main_menu)),
                       Happened(EventKind.LANGUAGE_CHOSEN, chosen))
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
    step = _with_prefix(enter(catalog, replace(state, silences=count), replay=False), reprompt)
    return _noting(step, Happened(EventKind.REPROMPT, lang.code))


def _press(catalog: Catalog, lang: Language, state: CallState, key: str) -> Step:
    if key == BACK:
        return _back(catalog, lang, state)
    if key == HELP:
        return _with_prefix(enter(catalog, _fresh(state), replay=False), (_say(lang, "help"),))
    if key == REPEAT:
        return enter(catalog, _fresh(state))
    if key == MAIN:
        return enter(catalog, _at_main(catalog, lang))
    target = _target_of_key(catalog, state, key)
    if target is KeyAction.END:
        return end_call(lang)
    if target is KeyAction.AGAIN:
        return enter(catalog, _fresh(state))
    if target is KeyAction.TEXT:
        return Step(send_text=state.node.id)
    if target is not None:
        return _go(catalog, lang, state, target)
    missed = replace(state, misses=min(state.misses + 1, MAX_MISSES), silences=0)
    sorry = Speech(lang.code, lang.said("invalid_key", key=lang.key_name(key)))
    extra = (_say(lang, "help"),) if missed.misses >= 3 else ()
    step = _with_prefix(enter(catalog, missed, replay=False), (sorry, *extra))
    return _noting(step, Happened(EventKind.INVALID_KEY, lang.code))


def _target_of_key(catalog: Catalog, state: CallState, key: str) -> Node | KeyAction | None:
    """Where a key leads at ``state``: a node, an action after a topic, or nowhere (None)."""
    node = state.node
    if node.kind is NodeKind.TOPIC:
        after_topic: dict[str, Node | KeyAction] = {
            TOPIC_AGAIN: KeyAction.AGAIN, TOPIC_MAIN: Node.menu(catalog.flow.main_menu),
            TOPIC_END: KeyAction.END, TOPIC_TEXT: KeyAction.TEXT}
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
        main = _at_main(catalog, lang)
        if state.at == catalog.flow.main_menu:
            return _with_prefix(enter(catalog, main), (_say(lang, "back_at_main"),))
        return enter(catalog, main)
    return enter(catalog, CallState(lang.code, state.trail[-1], state.trail[:-1]), replay=False)


def _fresh(state: CallState) -> CallState:
    return replace(state, silences=0, misses=0)


COMMAND_KEYS = {"back": BACK, "help": HELP, "repeat": REPEAT, "main_menu": MAIN}


def _hear(catalog: Catalog, lang: Language, state: CallState, given: CallerInput) -> Step:
    """Spoken requests: a universal command, a choice on this menu, or any topic by name."""
    phrases: dict[Node | str, tuple[str, ...]] = {
        f"@{k}": v for k, v in lang.commands.items()}
    for code, other in catalog.languages.items():
        for topic in other.topics.values():
            node = Node.topic(topic.id)
            extra = (topic.label, *topic.words) if code == lang.code else topic.words
            phrases[node] = phrases.get(node, ()) + extra
    for menu_id, label in lang.menus.items():
        if menu_id != catalog.flow.main_menu:
            phrases[Node.menu(menu_id)] = (label,)
    found = best_matches(given.speech, phrases)
    topics = [f for f in found if isinstance(f, Node) and f.kind is NodeKind.TOPIC]
    if len(topics) > 1:
        pick = Node.pick([t.id for t in topics])
        return enter(catalog, CallState(lang.code, str(pick), _trail_for(state)))
    if found and not topics and isinstance(found[0], Node):
        return _go(catalog, lang, state, found[0])
    if topics:
        if given.confidence is not None and given.confidence < LOW_CONFIDENCE:
            pick = Node.pick([topics[0].id])
            return enter(catalog, CallState(lang.code, str(pick), _trail_for(state)))
        return _go(catalog, lang, state, topics[0])
    command = str(found[0]).removeprefix("@") if found else ""
    if command in COMMAND_KEYS:
        return _press(catalog, lang, state, COMMAND_KEYS[command])
    if command == "end":
        return end_call(lang)
    missed = replace(state, misses=min(state.misses + 1, MAX_MISSES), silences=0)
    step = _with_prefix(enter(catalog, missed, replay=False), (_say(lang, "not_understood"),))
    return _noting(step, Happened(EventKind.NOT_UNDERSTOOD, lang.code))


def _trail_for(state: CallState) -> tuple[str, ...]:
    """Where "back" goes from a topic or a "did you mean" reached from ``state``."""
    if state.node.kind in (NodeKind.TOPIC, NodeKind.PICK):
        return state.trail
    return (*state.trail, state.at)[-10:]
