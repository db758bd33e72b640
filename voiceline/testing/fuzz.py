"""Fuzzing every webhook: random forms and queries, signed or not, and a judge of answers.

``random_request`` makes one request as an attacker or a confused proxy might: any
webhook, any query (``lang``, ``at``, ``trail``, ``s``, ``m`` with odd values, Unicode
digits among them), any form fields Twilio sends, with odd values, signed correctly most
of the time. ``judge`` says what is wrong with the answer: anything but 200 or 403
(403 only when unsigned), TwiML that Twilio would refuse (not XML, not ``<Response>``,
unknown verbs, a ``<Say>`` over 4,096 characters, a ``<Message>`` over 1,600, a document
over 64 kB), or a call that ends (``<Hangup>``) without the disclaimer.

The property tests (tests/test_fuzz.py) and the recorded run (``bench/fuzz.py``,
docs/fuzz.md) use both.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from ..engine.last_resort import LAST_RESORT

WEBHOOKS = ("/voice", "/voice/answer", "/voice/menu", "/voice/status", "/sms", "/sms/status",
            "/voice/fallback", "/sms/fallback")
FIELDS = ("Digits", "SpeechResult", "Confidence", "CallSid", "AccountSid", "From", "To",
          "Body", "NumMedia", "OptOutType", "CallDuration", "CallStatus", "MessageSid",
          "MessageStatus", "ErrorCode", "ErrorUrl", "MediaUrl0", "Caller")
QUERY = ("lang", "at", "trail", "s", "m", "topic")
ODD = ("", " ", "0", "1", "2", "4", "9", "*", "#", "10", "99999999999999999999", "-1",
       "²", "٣", "१", "１", "½", "1e3", "0x1", "nan", "inf", "en", "es", "xx", "main",
       "language", "topic.risks", "topic.nope", "pick.risks.cost", "pick.", "../../etc",
       "%ZZ", "a,b,,c", "{key:d}", "{label}", "<Hangup/>", "]]>", "&amp;", "\x00",
       "STOP", "stop", "START", "HELP", "Cancel", "risks", "cost", "MENU", "\U0001f600",
       "x" * 3000, "+15005550009", "+1 500 555 0009", "AC" + "0" * 32, "SM" + "1" * 32,
       "0.3", "completed", "busy", "delivered", "undelivered", "21610", "11200",
       "https://line.example.org/voice/answer?lang=es&at=main")
VERBS = {"Say", "Play", "Gather", "Hangup", "Redirect", "Message", "Pause"}
IN_GATHER = {"Say", "Play", "Pause"}
SSML = {"prosody", "break", "emphasis", "lang", "p", "s", "say-as", "sub", "w", "phoneme"}
SAY_MAX, MESSAGE_MAX, DOCUMENT_MAX = 4096, 1600, 64 * 1024


@dataclass(frozen=True)
class FuzzRequest:
    path: str  # with its query string
    form: dict[str, str]
    signed: bool


def random_value(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(ODD)
    alphabet = "0123456789*#abcxyzSTOPé²٣ \n\t<>&\"'{}%+,.:;/"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))


# Half the answers to menus come from a plausible place in a call, so that calls end (by
# key, by silence, after errors) often enough to check every ending.
PLACES = ("main", "language", "topic.risks", "topic.cost", "topic.what_it_is", "pick.risks.cost")
KEYS = ("", "1", "2", "3", "4", "5", "9", "0", "*", "#", "8", "²")


def random_request(rng: random.Random) -> FuzzRequest:
    path = rng.choice(WEBHOOKS)
    query = {name: random_value(rng) for name in rng.sample(QUERY, rng.randint(0, 4))}
    form = {name: random_value(rng) for name in rng.sample(FIELDS, rng.randint(0, 8))}
    if path == "/voice/answer" and rng.random() < 0.5:
        query = {"lang": rng.choice(("en", "es")), "at": rng.choice(PLACES),
                 "s": str(rng.randint(0, 3)), "m": str(rng.randint(0, 3))}
        form = {"Digits": rng.choice(KEYS)} if rng.random() < 0.7 else {}
    if rng.random() < 0.9:
        form.setdefault("AccountSid", "AC" + "0" * 32)
    full = path + ("?" + urlencode(query) if query else "")
    return FuzzRequest(full, form, signed=rng.random() < 0.92)


def disclaimers(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Every disclaimer a call may end with: the prompt files' and the built-in ones."""
    return (*extra, *(words.disclaimer for words in LAST_RESORT.values()))


def judge(request: FuzzRequest, status: int, body: str, known: tuple[str, ...]) -> str | None:
    """What is wrong with one answer (None if nothing); ``known`` are the disclaimers."""
    if status >= 500:
        return f"HTTP {status}"
    if status == 403:
        return None if not request.signed or request.form.get("AccountSid") != \
            "AC" + "0" * 32 else "403 for a signed request"
    if status != 200:
        return f"HTTP {status}"
    if not request.signed:
        return "an unsigned request was answered"
    if len(body.encode()) > DOCUMENT_MAX:
        return f"TwiML of {len(body.encode())} bytes"
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        return f"not XML: {exc}"
    if root.tag != "Response":
        return f"root <{root.tag}>"
    for verb in root:
        allowed = IN_GATHER if verb.tag == "Gather" else SSML if verb.tag == "Say" else set()
        if verb.tag not in VERBS:
            return f"unknown verb <{verb.tag}>"
        for inner in verb.iter():
            if inner is not verb and inner.tag not in allowed and not (
                    inner.tag in SSML and verb.tag == "Gather"):
                return f"<{inner.tag}> inside <{verb.tag}>"
    for element in root.iter():
        text = "".join(element.itertext())
        if element.tag == "Say" and len(text) > SAY_MAX:
            return f"<Say> of {len(text)} characters"
        if element.tag == "Message" and len(text) > MESSAGE_MAX:
            return f"<Message> of {len(text)} characters"
    verbs = list(root)
    if any(v.tag == "Hangup" for v in verbs):
        said = " ".join(" ".join("".join(v.itertext()).split()) for v in verbs
                        if v.tag == "Say")
        if not any(" ".join(d.split()) in said for d in known):
            return "a call ended without the disclaimer"
    return None
