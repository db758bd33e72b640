"""Webhook simulation: play Twilio's part against the line, in-process or over HTTP.

For tests, for integrators checking their own prompt changes, and for ``voiceline
simulate``. ``TwilioSigner`` signs requests exactly as Twilio does; ``SimulatedCall``
follows TwiML as Twilio does (Gather actions with ``Digits`` or ``SpeechResult``; the
Gather's ``finishOnKey``, ``numDigits`` and ``actionOnEmptyResult``; silence falling
through to the verbs after the Gather; relative URLs, ``<Redirect>``, ``<Hangup>``);
``SimulatedTexter`` texts the line; ``walk_calls`` presses every key and
stays silent at every menu until the whole call tree is covered.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 32
LINE_NUMBER = "+15005550006"  # Twilio's magic test number: never a real person
CALLER_NUMBER = "+15005550009"
ALL_KEYS = tuple("0123456789*#")


class SimulationError(AssertionError):
    """The line answered something Twilio could not follow (or refused the request)."""


class TwilioSigner:
    """Signs webhook requests the way Twilio does (HMAC-SHA1 of URL and sorted params)."""

    def __init__(self, auth_token: str, base_url: str = "https://voiceline.test"):
        self.validator = RequestValidator(auth_token)
        self.base_url = base_url.rstrip("/")

    def headers(self, path: str, params: dict[str, str]) -> dict[str, str]:
        url = self.base_url + path
        return {"X-Twilio-Signature": self.validator.compute_signature(url, params)}


class Transport(Protocol):
    def post(self, path: str, params: dict[str, str], headers: dict[str, str]
             ) -> tuple[int, str]: ...


class FlaskTransport:
    """In-process: posts through a Flask test client."""

    def __init__(self, client):
        self.client = client

    def post(self, path, params, headers):
        response = self.client.post(path, data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)


class HttpTransport:
    """Over the network, to a running server, as Twilio would."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def post(self, path, params, headers):
        data = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(self.base_url + path, data=data, headers={
            **headers, "Content-Type": "application/x-www-form-urlencoded"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")


@dataclass(frozen=True)
class Heard:
    """One thing the caller heard: spoken text, or a played recording's URL."""

    text: str
    language: str = ""
    voice: str = ""
    played: bool = False


def parse_twiml(body: str) -> ET.Element:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SimulationError(f"the line answered something that is not TwiML: {exc}") from None
    if root.tag != "Response":
        raise SimulationError(f"TwiML must start with <Response>, not <{root.tag}>")
    return root


def spoken(element: ET.Element) -> Heard | None:
    if element.tag == "Say":
        return Heard(" ".join("".join(element.itertext()).split()),
                     element.get("language", ""), element.get("voice", ""))
    if element.tag == "Play":
        return Heard((element.text or "").strip(), played=True)
    return None


class SimulatedCall:
    """One phone call, followed verb by verb. Each input returns what was heard next."""

    MAX_REDIRECTS = 20

    def __init__(self, transport: Transport, signer: TwilioSigner, caller: str = CALLER_NUMBER,
                 line: str = LINE_NUMBER, path: str = "/voice", call_sid: str = "CA" + "1" * 32):
        self.transport, self.signer = transport, signer
        self.params = {"CallSid": call_sid, "AccountSid": ACCOUNT_SID, "From": caller,
                       "To": line, "Caller": caller, "Called": line, "CallStatus": "in-progress",
                       "Direction": "inbound", "ApiVersion": "2010-04-01"}
        self.start_path = path
        self.transcript: list[Heard] = []
        self.gather: ET.Element | None = None
        self.ended = False
        self.hung_up = False  # True when the line said <Hangup/> (not just ran out of verbs)
        self._url = path
        self._after_gather: list[ET.Element] = []

    # -- inputs
    def start(self) -> list[Heard]:
        return self._request(self.start_path, {})

    def press(self, keys: str) -> list[Heard]:
        """Press keys while the Gather listens, as Twilio reads them: the Gather ends at its
        ``finishOnKey`` (default ``#``; the key itself is not sent) or after ``numDigits``
        keys; keys after that are lost. Nothing collected (only the finish key) is like
        silence, unless ``actionOnEmptyResult`` is true."""
        gather = self._waiting()
        if "dtmf" not in (gather.get("input") or "dtmf"):
            raise SimulationError("this menu does not listen for keys")
        finish = gather.get("finishOnKey", "#")
        wanted = int(gather.get("numDigits") or 0) or None
        digits = ""
        for key in keys:
            if finish and key == finish:
                break
            digits += key
            if wanted is not None and len(digits) >= wanted:
                break
        if not digits:
            return self._gather_ended_empty(gather)
        return self._request(self._action(gather), {"Digits": digits}, gather)

    def say(self, words: str, confidence: float = 0.9) -> list[Heard]:
        gather = self._waiting()
        if "speech" not in (gather.get("input") or "dtmf"):
            raise SimulationError("this menu does not listen for speech")
        return self._request(self._action(gather),
                             {"SpeechResult": words, "Confidence": f"{confidence:.2f}"}, gather)

    def silence(self) -> list[Heard]:
        """Say nothing until the Gather's ``timeout``: Twilio runs the verbs after it (or,
        with ``actionOnEmptyResult``, asks the action with no input)."""
        return self._gather_ended_empty(self._waiting())

    def _gather_ended_empty(self, gather: ET.Element) -> list[Heard]:
        if (gather.get("actionOnEmptyResult") or "false").lower() == "true":
            return self._request(self._action(gather), {}, gather)
        heard: list[Heard] = []
        self._run(self._after_gather, self._url, heard, 0)
        return heard

    def _action(self, gather: ET.Element) -> str:
        method = (gather.get("method") or "POST").upper()
        if method != "POST":
            raise SimulationError(f"the simulator only follows POST actions, not {method}")
        return self._resolve(gather.get("action") or self._url)

    # -- state
    @property
    def heard_text(self) -> list[str]:
        return [h.text for h in self.transcript]

    def _waiting(self) -> ET.Element:
        if self.ended or self.gather is None:
            raise SimulationError("the call has ended; nothing is listening for input")
        return self.gather

    def _resolve(self, url: str) -> str:
        absolute = urllib.parse.urljoin(self.signer.base_url + self._url, url)
        parts = urllib.parse.urlsplit(absolute)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _request(self, path: str, extra: dict[str, str], gather: ET.Element | None = None,
                 depth: int = 0) -> list[Heard]:
        params = {**self.params, **extra}
        status, body = self.transport.post(path, params, self.signer.headers(path, params))
        if status != 200:
            raise SimulationError(f"POST {path} answered HTTP {status}")
        self._url, self.gather, self._after_gather = path, None, []
        heard: list[Heard] = []
        self._run(list(parse_twiml(body)), path, heard, depth)
        return heard

    def _run(self, verbs: list[ET.Element], url: str, heard: list[Heard], depth: int) -> None:
        self.gather = None
        for index, verb in enumerate(verbs):
            said = spoken(verb)
            if said is not None:
                heard.append(said)
                self.transcript.append(said)
            elif verb.tag == "Gather":
                for child in verb:
                    said = spoken(child)
                    if said is not None:
                        heard.append(said)
                        self.transcript.append(said)
                self.gather, self._after_gather, self._url = verb, verbs[index + 1:], url
                return
            elif verb.tag == "Redirect":
                if depth >= self.MAX_REDIRECTS:
                    raise SimulationError("more than 20 redirects in a row: a loop")
                target = self._resolve((verb.text or "").strip() or url)
                heard.extend(self._request(target, {}, None, depth + 1))
                return
            elif verb.tag == "Hangup":
                self.ended = self.hung_up = True
                return
            elif verb.tag not in {"Pause"}:
                raise SimulationError(f"the simulator does not follow <{verb.tag}>")
        self.ended = True  # no more verbs: Twilio hangs up


class SimulatedTexter:
    """One phone number texting the line; ``send`` returns the reply, or None for silence."""

    def __init__(self, transport: Transport, signer: TwilioSigner, number: str = CALLER_NUMBER,
                 line: str = LINE_NUMBER, path: str = "/sms"):
        self.transport, self.signer, self.path = transport, signer, path
        self.number, self.line = number, line
        self.sent = 0

    def send(self, body: str, **extra: str) -> str | None:
        """Text ``body`` as a new message (its own MessageSid, as Twilio gives each)."""
        self.sent += 1
        sid = "SM" + uuid.uuid4().hex
        params = {"MessageSid": sid, "SmsSid": sid,
                  "AccountSid": ACCOUNT_SID, "From": self.number, "To": self.line,
                  "Body": body, "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01",
                  **extra}
        status, text = self.transport.post(self.path, params,
                                           self.signer.headers(self.path, params))
        if status != 200:
            raise SimulationError(f"POST {self.path} answered HTTP {status}")
        messages = [m for m in parse_twiml(text) if m.tag == "Message"]
        if not messages:
            return None
        return "\n".join("".join(m.itertext()) for m in messages)


def safe_ending(heard: list[str], disclaimer: str, physician: str, farewell: str) -> bool:
    """Whether a call's last words are the disclaimer and the physician prompt, and only
    then the farewell: a caller who hangs up at "goodbye" has heard them both."""
    return heard[-3:] == [disclaimer, physician, farewell]


@dataclass
class Ending:
    path: tuple[str, ...]  # the inputs that led here ("." is silence)
    heard: list[Heard]  # what the last answer said before hanging up
    hung_up: bool


@dataclass
class Walk:
    endings: list[Ending] = field(default_factory=list)
    heard: set[str] = field(default_factory=set)
    menus: int = 0


def walk_calls(transport: Transport, signer: TwilioSigner, keys: tuple[str, ...] = ALL_KEYS,
               max_menus: int = 5000) -> Walk:
    """Every key and silence at every menu, breadth first, until no new menu appears.

    Menus are told apart by their Gather action URL (the call's whole state), so the walk
    ends even though a caller could press keys forever.
    """
    walk = Walk()
    start = SimulatedCall(transport, signer)
    heard = start.start()
    walk.heard.update(h.text for h in heard)
    if start.ended:
        walk.endings.append(Ending((), heard, start.hung_up))
        return walk
    queue: deque[tuple[tuple[str, ...], SimulatedCall]] = deque([((), start)])
    seen = {_menu_key(start)}
    while queue:
        path, call = queue.popleft()
        walk.menus += 1
        if walk.menus > max_menus:
            raise SimulationError(f"more than {max_menus} menus: the call tree never ends")
        for key in (*keys, "."):
            branch = _replay(transport, signer, call)
            heard = branch.silence() if key == "." else branch.press(key)
            walk.heard.update(h.text for h in heard)
            if branch.ended:
                walk.endings.append(Ending((*path, key), heard, branch.hung_up))
                continue
            menu = _menu_key(branch)
            if menu not in seen:
                seen.add(menu)
                queue.append(((*path, key), branch))
    return walk


def _menu_key(call: SimulatedCall) -> tuple:
    gather = call.gather
    after = tuple((v.tag, (v.text or "").strip()) for v in call._after_gather)
    return (gather.get("action") if gather is not None else None, after)


def _replay(transport: Transport, signer: TwilioSigner, call: SimulatedCall) -> SimulatedCall:
    """A copy of ``call`` waiting at the same menu (state lives in URLs, so no re-dial)."""
    branch = SimulatedCall(transport, signer)
    branch.params = dict(call.params)
    branch.gather, branch._after_gather, branch._url = call.gather, call._after_gather, call._url
    return branch
