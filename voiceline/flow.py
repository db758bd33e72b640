"""The call flow engine: given where a caller is and what they did, decide what they hear.

Pure: it reads the catalog and returns a ``Step`` (things to say, a menu to gather an
answer with, or the end of the call); it does no I/O. ``voice.render_step`` is the one
place a step becomes TwiML. The whole state of a call travels in the URL of the next
request (``CallState``), so the voice path needs no database.

Nodes: ``language`` (the language choice), a menu id from flow.toml, ``topic.<id>``
(after a topic: again, main menu, end, text me this) and ``pick.<id>.<id>`` (a "did you
mean"). "Text me this" needs the outside world: the engine returns a step naming the topic
(``send_text``), the voice view sends it and asks ``after_text`` what to say about it.
Each step also notes what happened (``happened``), which the view records as usage events.
Keys that work at every menu (ISO/IEC 13714 where it speaks): ``*`` back, ``0`` help,
``#`` hear this again, ``9`` main menu.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .catalog import Catalog, Language
from .understand import best_matches, normalise

BACK, HELP, REPEAT, MAIN = "*", "0", "#", "9"
TOPIC_AGAIN, TOPIC_MAIN, TOPIC_END, TOPIC_TEXT = "1", "2", "3", "4"
LANGUAGE = "language"
LOW_CONFIDENCE = 0.4  # below this, a single understood topic is confirmed, not assumed
MAX_MISSES = 3  # after three misses the help is added; counting further changes nothing


@dataclass(frozen=True)
class CallState:
    """Where a caller is; round-trips through the next request's query string."""

    lang: str = ""
    at: str = LANGUAGE
    trail: tuple[str, ...] = ()  # the nodes "back" returns to, oldest first
    silences: int = 0
    misses: int = 0

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
    def from_query(cls, args) -> CallState:
        """Read a state from request args, tolerating anything (it came over the wire)."""
        def count(name: str) -> int:
            value = str(args.get(name, "0"))[:2]
            return int(value) if value.isdigit() else 0

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
class Happened:
    """Something worth counting (a usage event): ``kind``, with a topic or outcome."""

    kind: str
    lang: str = ""
    topic: str = ""
    outcome: str = ""


@dataclass(frozen=True)
class Step:
    say: tuple[Speech, ...] = ()
    gather: Gather | None = None
    hangup: bool = False
    send_text: str = ""  # a topic to text to the caller; then ``after_text`` goes on
    happened: tuple[Happened, ...] = ()


KEYPAD = frozenset("0123456789*#")


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
        opening = (_say(lang, "welcome"), _say(lang, "emergency"))
        return _with_prefix(enter(catalog, CallState(lang.code, catalog.flow.main_menu)), opening)
    opening = tuple(s for code in catalog.flow.languages
                    for s in (_say(catalog.languages[code], "welcome"),
                              _say(catalog.languages[code], "emergency")))
    return Step(say=opening, gather=_language_choice(catalog, CallState()))


def answer(catalog: Catalog, state: CallState, given: CallerInput) -> Step:
    """What the caller hears after pressing, speaking, or staying silent at ``state``."""
    state = _valid(catalog, state)
    if state.at == LANGUAGE:
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
    if state.at == LANGUAGE:
        return Step(gather=_language_choice(catalog, state))
    return enter(catalog, state, replay=False)


def end_call(lang: Language, *reason: Speech, how: str = "caller") -> Step:
    """Every ending: why, then goodbye, the disclaimer and the physician prompt, then hang up."""
    return Step(say=(*reason, _say(lang, "goodbye"), _say(lang, "disclaimer"),
                     _say(lang, "physician")), hangup=True,
                happened=(Happened("call_ended", lang.code, outcome=how),))


def after_text(catalog: Catalog, state: CallState, outcome: str) -> Step:
    """After "text me this": one sentence on how it went (``text_<outcome>``), then the menu."""
    state = _valid(catalog, state)
    lang = catalog.language(state.lang)
    key = f"text_{outcome}" if f"text_{outcome}" in lang.call else "text_failed"
    topic = state.at.removeprefix("topic.") if state.at.startswith("topic.") else ""
    step = _with_prefix(enter(catalog, _fresh(state), replay=False), (_say(lang, key),))
    return replace(step, happened=(Happened("topic_texted", lang.code, topic, outcome),))


def enter(catalog: Catalog, state: CallState, replay: bool = True) -> Step:
    """Arrive at ``state.at``: a topic is spoken (unless ``replay`` is off), a menu offered."""
    lang = catalog.language(state.lang)
    if state.at.startswith("topic."):
        topic = lang.topics[state.at.removeprefix("topic.")]
        said = (Speech(lang.code, topic.spoken, f"topic.{topic.id}"),
                _say(lang, "topic_reminder")) if replay else ()
        options = ((TOPIC_AGAIN, lang.call["again_label"]), (TOPIC_MAIN, lang.call["main_label"]),
                   (TOPIC_END, lang.call["end_label"]), (TOPIC_TEXT, lang.call["text_label"]))
        prompt = tuple(Speech(lang.code, lang.option(label, key)) for key, label in options)
        heard = (Happened("topic_heard", lang.code, topic.id),) if replay else ()
        return Step(say=said, gather=Gather(lang.code, (*prompt, _say(lang, "universal")),
                                            state, _hints(catalog, lang)), happened=heard)
    if state.at.startswith("pick."):
        choices = state.at.split(".")[1:]
        first = lang.topics[choices[0]].label
        prompt = (Speech(lang.code, lang.call["did_you_mean"].format(label=first)),
                  *(Speech(lang.code, lang.option(lang.topics[t].label, str(i)))
                    for i, t in enumerate(choices, start=1)),
                  _say(lang, "universal"))
        return Step(gather=Gather(lang.code, prompt, state, _hints(catalog, lang)))
    menu = catalog.flow.menus[state.at]
    if menu.id == catalog.flow.main_menu:
        intro = _say(lang, "main_menu_intro")
    else:
        intro = Speech(lang.code, lang.call["menu_intro"].format(label=lang.menus[menu.id]))
    offers = tuple(Speech(lang.code, lang.option(_label(lang, o.menu, o.topic), o.key))
                   for o in menu.options)
    tail = (_say(lang, "speak_hint"),) if menu.id == catalog.flow.main_menu else ()
    return Step(gather=Gather(lang.code, (intro, *offers, *tail, _say(lang, "universal")),
                              state, _hints(catalog, lang)))


# ------------------------------------------------------------------------------- internals

def _say(lang: Language, key: str) -> Speech:
    return Speech(lang.code, lang.call[key], f"call.{key}")


def _label(lang: Language, menu: str | None, topic: str | None) -> str:
    return lang.menus[menu] if menu else lang.topics[topic or ""].label


def _with_prefix(step: Step, prefix: tuple[Speech, ...]) -> Step:
    return replace(step, say=(*prefix, *step.say))


def _noting(step: Step, *happened: Happened) -> Step:
    return replace(step, happened=(*happened, *step.happened))


def _hints(catalog: Catalog, lang: Language) -> tuple[str, ...]:
    return tuple(t.label for t in lang.topics.values())


def _valid(catalog: Catalog, state: CallState) -> CallState:
    """A state naming things that do not exist (an old or forged URL) becomes the main menu."""
    main = CallState(catalog.language(state.lang).code, catalog.flow.main_menu)
    if state.at == LANGUAGE:
        return state
    if state.lang not in catalog.languages or not _node_exists(catalog, state.at):
        return main if state.lang in catalog.languages else CallState()
    trail = tuple(t for t in state.trail if _node_exists(catalog, t))
    return replace(state, trail=trail)


def _node_exists(catalog: Catalog, node: str) -> bool:
    if node.startswith("topic."):
        return node.removeprefix("topic.") in catalog.flow.topics
    if node.startswith("pick."):
        choices = node.split(".")[1:]
        return 0 < len(choices) <= 3 and all(c in catalog.flow.topics for c in choices)
    return node in catalog.flow.menus


def _language_choice(catalog: Catalog, state: CallState) -> Gather:
    default = catalog.language(None)
    prompt = tuple(Speech(code, catalog.languages[code].choose.format(key=str(i)),
                          "language.choose")
                   for i, code in enumerate(catalog.flow.languages, start=1))
    hints = tuple(w for code in catalog.flow.languages for w in catalog.languages[code].words)
    return Gather(default.code, prompt, state, hints)


def _answer_language(catalog: Catalog, state: CallState, given: CallerInput) -> Step:
    codes = catalog.flow.languages
    chosen = None
    key = given.digits.strip()[:1]
    if key.isdigit() and 1 <= int(key) <= len(codes):
        chosen = codes[int(key) - 1]
    elif given.speech.strip():
        found = best_matches(given.speech, {c: catalog.languages[c].words for c in codes})
        chosen = found[0] if len(found) == 1 else None
    if chosen is None and (given.silent and state.silences >= 1 or state.misses >= 2):
        chosen = codes[0]  # never a dead end: after a second try, carry on in the default
    if chosen is not None:
        return _noting(enter(catalog, CallState(chosen, catalog.flow.main_menu)),
                       Happened("language_chosen", chosen))
    default = catalog.language(None)
    if given.silent:
        again = replace(state, silences=state.silences + 1)
        return Step(say=(Speech(default.code, default.no_input[0], "call.no_input"),),
                    gather=_language_choice(catalog, again),
                    happened=(Happened("reprompt", default.code),))
    again = replace(state, misses=min(state.misses + 1, MAX_MISSES))
    return Step(say=(_say(default, "not_understood"),), gather=_language_choice(catalog, again),
                happened=(Happened("invalid_key" if given.digits.strip() else "not_understood",
                                   default.code),))


def _silence(catalog: Catalog, lang: Language, state: CallState) -> Step:
    """Escalating reprompts; after the last one, end the call politely."""
    count = state.silences + 1
    if count >= len(lang.no_input):
        return end_call(lang, Speech(lang.code, lang.no_input[-1], "call.no_input"),
                        how="no_input")
    reprompt = (Speech(lang.code, lang.no_input[count - 1], "call.no_input"),)
    if count >= 2:
        reprompt = (*reprompt, _say(lang, "speak_hint"))
    step = _with_prefix(enter(catalog, replace(state, silences=count), replay=False), reprompt)
    return _noting(step, Happened("reprompt", lang.code))


def _press(catalog: Catalog, lang: Language, state: CallState, key: str) -> Step:
    if key == BACK:
        return _back(catalog, lang, state)
    if key == HELP:
        return _with_prefix(enter(catalog, _fresh(state), replay=False), (_say(lang, "help"),))
    if key == REPEAT:
        return enter(catalog, _fresh(state))
    if key == MAIN:
        return enter(catalog, CallState(lang.code, catalog.flow.main_menu))
    target = _target_of_key(catalog, state, key)
    if target == "end":
        return end_call(lang)
    if target == "again":
        return enter(catalog, _fresh(state))
    if target == "text":
        return Step(send_text=state.at.removeprefix("topic."))
    if target:
        return _go(catalog, lang, state, target)
    missed = replace(state, misses=min(state.misses + 1, MAX_MISSES), silences=0)
    sorry = Speech(lang.code, lang.call["invalid_key"].format(key=lang.key_name(key)))
    extra = (_say(lang, "help"),) if missed.misses >= 3 else ()
    step = _with_prefix(enter(catalog, missed, replay=False), (sorry, *extra))
    return _noting(step, Happened("invalid_key", lang.code))


def _target_of_key(catalog: Catalog, state: CallState, key: str) -> str:
    """Where a key leads at ``state``: a menu id, ``topic.<id>``, "again", "end", "text" or ""."""
    if state.at.startswith("topic."):
        return {TOPIC_AGAIN: "again", TOPIC_MAIN: catalog.flow.main_menu,
                TOPIC_END: "end", TOPIC_TEXT: "text"}.get(key, "")
    if state.at.startswith("pick."):
        choices = state.at.split(".")[1:]
        return f"topic.{choices[int(key) - 1]}" if key.isdigit() and 0 < int(key) <= len(
            choices) else ""
    option = catalog.flow.menus[state.at].option_for(key)
    if option is None:
        return ""
    return option.menu or f"topic.{option.topic}"


def _go(catalog: Catalog, lang: Language, state: CallState, target: str) -> Step:
    if target == catalog.flow.main_menu:
        return enter(catalog, CallState(lang.code, target))
    return enter(catalog, CallState(lang.code, target, _trail_for(state)))


def _back(catalog: Catalog, lang: Language, state: CallState) -> Step:
    if not state.trail:
        main = CallState(lang.code, catalog.flow.main_menu)
        if state.at == catalog.flow.main_menu:
            return _with_prefix(enter(catalog, main), (_say(lang, "back_at_main"),))
        return enter(catalog, main)
    return enter(catalog, CallState(lang.code, state.trail[-1], state.trail[:-1]), replay=False)


def _fresh(state: CallState) -> CallState:
    return replace(state, silences=0, misses=0)


def _hear(catalog: Catalog, lang: Language, state: CallState, given: CallerInput) -> Step:
    """Spoken requests: a universal command, a choice on this menu, or any topic by name."""
    phrases: dict[str, tuple[str, ...]] = {f"@{k}": v for k, v in lang.commands.items()}
    for code, other in catalog.languages.items():
        for topic in other.topics.values():
            phrases.setdefault(f"topic.{topic.id}", ())
            extra = (topic.label, *topic.words) if code == lang.code else topic.words
            phrases[f"topic.{topic.id}"] += extra
    for menu_id, label in lang.menus.items():
        if menu_id != catalog.flow.main_menu:
            phrases[menu_id] = (label,)
    found = best_matches(given.speech, phrases)
    topics = [f for f in found if f.startswith("topic.")]
    if len(topics) > 1:
        pick = "pick." + ".".join(t.removeprefix("topic.") for t in topics[:3])
        return enter(catalog, CallState(lang.code, pick, _trail_for(state)))
    if found and not topics and not found[0].startswith("@"):
        return _go(catalog, lang, state, found[0])
    if topics:
        if given.confidence is not None and given.confidence < LOW_CONFIDENCE:
            pick = "pick." + topics[0].removeprefix("topic.")
            return enter(catalog, CallState(lang.code, pick, _trail_for(state)))
        return _go(catalog, lang, state, topics[0])
    command = {"@back": BACK, "@help": HELP, "@repeat": REPEAT, "@main_menu": MAIN}
    if found and found[0] in command:
        return _press(catalog, lang, state, command[found[0]])
    if found and found[0] == "@end":
        return end_call(lang)
    missed = replace(state, misses=min(state.misses + 1, MAX_MISSES), silences=0)
    step = _with_prefix(enter(catalog, missed, replay=False), (_say(lang, "not_understood"),))
    return _noting(step, Happened("not_understood", lang.code))


def _trail_for(state: CallState) -> tuple[str, ...]:
    """Where "back" goes from a topic or a "did you mean" reached from ``state``."""
    if state.at.startswith(("topic.", "pick.")):
        return state.trail
    return (*state.trail, state.at)[-10:]
