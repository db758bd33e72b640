"""Try the line without a phone: the runners behind ``voiceline simulate``.

Everything goes in-process through the real webhooks: ``simulator_app`` is the real app
with a generated auth token, an in-memory store and a stand-in for Twilio's REST API (so
"text me this" shows the text instead of sending it), and ``SimulatedCall`` and
``SimulatedTexter`` sign every request as Twilio does. It needs no settings, no database
and no network. The prompt files are looked at again before each input, so an operator
can edit them and keep going. The loop guard and hourly limits on replies are off here:
an operator sends the same text many times. The simulated phone has one number, for its
calls and its texts: once it chose a language (in a call, or by texting), the line greets
its next call as a returning caller's, in that language; ``Line.remember`` (``voiceline
simulate call --returning es``) plays a phone that chose one before the simulation began.

Input and output are functions (``read_line`` returns None at the end of input, ``write``
takes one line), so tests drive the runners like any function.

A script (``voiceline simulate --script FILE``) has one thing per line::

    > call                  dial the line (hanging up any call in progress); after a call
                            that chose a language, the line greets the phone in it
    > 1                     press a key: 0 to 9, * or #
    > say: how much is it   say something
    > .                     stay silent until the line speaks again
    > text: STOP            send a text message (from the same phone)
    cost                    a phrase expected in what came back after the last input
                            (any other line; capitals and extra spaces do not matter)
    [hangs up]              the line must have ended the call after the last input
    [no reply]              the last text must have got no reply
    # a note                ignored, as are blank lines

It stops at the first phrase that did not come back, naming the script's line.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from flask import Flask

from ..engine.call import KEYPAD
from ..engine.understand import prepare
from ..storage.store import MemoryStore, number_key
from ..web.services import Limits, services_of
from . import (
    ACCOUNT_SID,
    CALLER_NUMBER,
    LINE_NUMBER,
    FlaskTransport,
    Heard,
    SimulatedCall,
    SimulatedTexter,
    SimulationError,
    TwilioSigner,
)

ReadLine = Callable[[], str | None]
Write = Callable[[str], None]

BASE_URL = "https://simulator.voiceline.invalid"
MENU_MARK = "  [menu: press a key, say: ..., or . for silence; q hangs up]"
QUIT = {"q", "/q"}

# No loop guard and no hourly limits: an operator repeats texts on purpose.
SIMULATOR_LIMITS = Limits(replies_per_hour=1_000_000, texts_per_hour=1_000_000,
                          loop_guard=False)


class Outbox:
    """Stands in for Twilio's REST client: "text me this" messages land here, unsent."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    @property
    def messages(self) -> Outbox:
        return self

    def create(self, *, to: str, body: str, **_: object) -> SimpleNamespace:
        self.sent.append(body)
        return SimpleNamespace(sid=f"SM{len(self.sent):032d}", status="queued")

    def take(self) -> list[str]:
        sent, self.sent = self.sent, []
        return sent


def simulator_app(prompts_dir: str | Path | None = None) -> Flask:
    """The real line, on its own: no settings, database, Twilio account or network needed."""
    from ..web.app import create_app

    config: dict[str, str | None] = {
        "TWILIO_AUTH_TOKEN": secrets.token_urlsafe(24), "PUBLIC_BASE_URL": BASE_URL,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_API_KEY": None, "TWILIO_API_SECRET": None,
        "TWILIO_MESSAGING_SERVICE_SID": None, "VOICELINE_SMS_FROM": LINE_NUMBER,
        "VOICELINE_DEV_MODE": "0", "DATABASE_URL": None,
        "VOICELINE_HASH_SECRET": secrets.token_hex(16), "VOICELINE_PROMPTS_RELOAD_SECONDS": "0",
        # No Twilio in front: HELP and START get the line's own words (the ones the README
        # has operators paste into Advanced Opt-Out's replies).
        "VOICELINE_TWILIO_KEYWORD_REPLIES": "off",
    }
    if prompts_dir is not None:
        config["VOICELINE_PROMPTS_DIR"] = str(prompts_dir)
    return create_app(config, store=MemoryStore(), sms_client=Outbox(),
                      limits=SIMULATOR_LIMITS)


def browser_phone(prompts_dir: Path) -> Line:
    """A simulated line of its own, for the operators' browser phone (``web.phone``)."""
    return Line(simulator_app(prompts_dir))


class Line:
    """One simulated phone, calling and texting one simulated line."""

    def __init__(self, app: Flask):
        self.app = app
        outbox = services_of(app).sms_client
        if not isinstance(outbox, Outbox):
            raise SimulationError("the simulated line must send its texts to an Outbox")
        self.outbox = outbox
        self.transport = FlaskTransport(app.test_client())
        self.signer = TwilioSigner(app.config["TWILIO_AUTH_TOKEN"], BASE_URL)
        self.texter = SimulatedTexter(self.transport, self.signer)
        self.call: SimulatedCall | None = None
        self.calls = 0

    @property
    def in_call(self) -> bool:
        return self.call is not None and not self.call.ended

    def hang_up(self) -> None:
        """The caller hangs up: the line hears nothing more of this call."""
        if self.call is not None:
            self.call.ended = True

    def _learned(self) -> None:
        """Look at the prompt files now and learn from them before an input goes in: a
        simulation hears the line as it answers once learning is done (a served line
        answers by the words alone for the seconds learning takes), whatever the timing."""
        holder = services_of(self.app).catalogs
        holder.refresh()
        if holder.catalog is not None:
            prepare(holder.catalog)

    def dial(self) -> list[str]:
        self._learned()
        self.calls += 1
        self.call = SimulatedCall(self.transport, self.signer, call_sid=f"CA{self.calls:032d}")
        return self._said(self.call.start())

    def act(self, action: str, words: str = "") -> list[str]:
        """``press`` a key, ``say`` words or stay ``silent`` in the call in progress."""
        call = self.call
        if call is None or call.ended:
            raise SimulationError("no call is in progress")
        self._learned()
        heard = (call.press(words) if action == "press" else call.say(words)
                 if action == "say" else call.silence())
        return self._said(heard)

    def text(self, body: str) -> str | None:
        self._learned()
        return self.texter.send(body)

    def choose_language(self, code: str) -> list[str]:
        """Press the key that chooses language ``code`` at the start of a call."""
        catalog = services_of(self.app).catalogs.catalog
        languages = catalog.flow.languages if catalog else ()
        if code not in languages:
            raise SimulationError(f"the line has no language '{code}' (it has "
                                  f"{', '.join(languages) or 'none'})")
        if len(languages) == 1:
            return []
        return self.act("press", str(languages.index(code) + 1))

    def remember(self, code: str) -> None:
        """Play a phone that chose language ``code`` on an earlier call: the line greets
        its next call in that language."""
        catalog = services_of(self.app).catalogs.catalog
        languages = catalog.flow.languages if catalog else ()
        if code not in languages:
            raise SimulationError(f"the line has no language '{code}' (it has "
                                  f"{', '.join(languages) or 'none'})")
        found = services_of(self.app)
        found.languages.chosen(number_key(found.secret(), CALLER_NUMBER), code)

    def _said(self, heard: Iterable[Heard]) -> list[str]:
        said = [f"(plays recording {h.text})" if h.played else h.text for h in heard]
        said += [f"[text message to your phone] {body}" for body in self.outbox.take()]
        return said


# --------------------------------------------------------------------------- interactive

def run_call(line: Line, read_line: ReadLine, write: Write, lang: str | None = None,
             returning: str | None = None) -> int:
    """A call: print what the caller hears, read keys, ``say: ...`` or ``.``, until it ends.
    ``returning``: the phone chose this language on an earlier call."""
    if returning:
        line.remember(returning)
    write("Calling the line. Type a key (0-9, * or #), 'say: what you want', '.' for "
          "silence, or q to hang up.")
    if returning:
        write(f"  [the line remembers that this phone chose {returning} before]")
    _show(write, line.dial())
    if lang:
        write(f"> (chooses {lang})")
        _show(write, line.choose_language(lang))
    while line.call is not None and not line.call.ended:
        write(MENU_MARK)
        typed = read_line()
        if typed is None or typed.strip().lower() in QUIT:
            write("  [you hung up]")
            return 0
        action, words = _call_input(typed)
        if not action:
            write("  [type one key, 'say: words', or '.']")
            continue
        _show(write, line.act(action, words))
    write("  [the line hung up]" if line.call and line.call.hung_up else "  [the call ended]")
    return 0


def run_texts(line: Line, read_line: ReadLine, write: Write, lang: str | None = None) -> int:
    """A chat with the SMS line, one text per line, until q or the end of input."""
    write("Texting the line. Type a text and press Enter; q ends.")
    if lang:
        words = _language_word(line, lang)
        write(f"> {words}")
        _show(write, [line.text(words) or "(no reply)"], prefix="  reply: ")
    while True:
        typed = read_line()
        if typed is None or typed.strip().lower() in QUIT:
            return 0
        if not typed.strip():
            continue
        _show(write, [line.text(typed.strip()) or "(no reply)"], prefix="  reply: ")


def _language_word(line: Line, code: str) -> str:
    catalog = services_of(line.app).catalogs.catalog
    if catalog is None or code not in catalog.languages:
        raise SimulationError(f"the line has no language '{code}'")
    return catalog.languages[code].words[0]


def _call_input(typed: str) -> tuple[str, str]:
    typed = typed.strip()
    if typed == ".":
        return "silent", ""
    if typed in KEYPAD:
        return "press", typed
    if typed.lower().startswith("say:"):
        words = typed[4:].strip()
        return ("say", words) if words else ("", "")
    if typed and not (typed[0] in KEYPAD and len(typed) > 1):
        return "say", typed  # plain words are speech too
    return "", ""


def _show(write: Write, said: Iterable[str], prefix: str = "  ") -> None:
    for text in said:
        lines = text.splitlines() or [""]
        write(prefix + lines[0])
        for more in lines[1:]:
            write(" " * len(prefix) + more)


# ------------------------------------------------------------------------------- scripts

@dataclass(frozen=True)
class ScriptLine:
    number: int
    text: str


def run_script(line: Line, script: Iterable[str], write: Write, name: str = "script") -> int:
    """Run a script; 0 if every expected phrase came back, 1 at the first that did not."""
    last_input: ScriptLine | None = None
    said: list[str] = []
    ended = no_reply = False
    inputs = checks = 0
    for number, raw in enumerate(script, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        here = ScriptLine(number, text)
        try:
            if text.startswith(">"):
                said, ended, no_reply = _script_input(line, text[1:].strip())
                last_input, inputs = here, inputs + 1
                continue
        except (SimulationError, ValueError) as exc:
            write(f"{name}, line {number}: {text}: {exc}")
            return 1
        checks += 1
        if last_input is None:
            write(f"{name}, line {number}: an expected phrase comes after an input "
                  "(a line starting with >).")
            return 1
        if not _met(text, said, ended, no_reply):
            write(f"{name}, line {number}: expected {text!r} after '{last_input.text}' "
                  f"(line {last_input.number}), but the line said:")
            _show(write, said or ["(nothing)"], prefix="    ")
            return 1
    write(f"{name}: all {checks} expected phrases came back ({inputs} inputs).")
    return 0


def _script_input(line: Line, typed: str) -> tuple[list[str], bool, bool]:
    """Do one scripted input; return (what came back, whether the call ended, no reply)."""
    if typed.lower() == "call":
        said = line.dial()
        return said, line.call is not None and line.call.ended, False
    if typed.lower().startswith("text:"):
        reply = line.text(typed[5:].strip())
        return ([reply] if reply else []), False, reply is None
    action, words = _call_input(typed)
    if not action or (action == "say" and not typed.lower().startswith("say:")):
        raise ValueError("not an input: write a key, 'say: words', '.', 'call' or "
                         "'text: words' after the >")
    if line.call is None or line.call.ended:
        raise SimulationError("no call is in progress; start one with '> call'")
    said = line.act(action, words)
    return said, line.call.ended, False


def _met(expected: str, said: list[str], ended: bool, no_reply: bool) -> bool:
    if expected.lower() == "[hangs up]":
        return ended
    if expected.lower() == "[no reply]":
        return no_reply
    return _plain(expected) in _plain(" ".join(said))


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold()
