"""Named outcomes: what the engines decide, as enums instead of loose strings.

They are ``StrEnum``s, so a value is still the short word that goes into a URL, a usage
event or a log line ("topic_heard", "opted_out"), and old rows and URLs read the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class NodeKind(StrEnum):
    """Where in a call the caller is (see ``engine.call.Node``)."""

    LANGUAGE = "language"  # the language choice at the start
    MENU = "menu"  # a menu of flow.toml
    TOPIC = "topic"  # after a topic: again, main menu, end, text me this
    PICK = "pick"  # "did you mean" one of up to three topics


class KeyAction(StrEnum):
    """What a key does after a topic, besides leading to a menu or a topic."""

    END = "end"
    TEXT = "text"


class CallEnd(StrEnum):
    """Why a call ended (the ``call_ended`` event's outcome)."""

    CALLER = "caller"
    NO_INPUT = "no_input"
    ERROR = "error"


class Verdict(StrEnum):
    """Whether a text gets a reply: REPLY, or why not."""

    REPLY = "reply"
    REPEAT = "repeat"  # the loop guard: the same text again, soon
    MUTED = "muted"  # the loop guard: the same text a third time
    LIMIT = "limit"  # the hourly reply limit is reached
    OPTED_OUT = "opted_out"
    TWILIO_REPLIED = "twilio_replied"  # a keyword Twilio answers itself (HELP, START)


class Answered(StrEnum):
    """What a text was answered with (the ``sms_answered`` event's outcome)."""

    LANGUAGE = "language"
    RESUBSCRIBED = "resubscribed"
    HELP = "help"
    WELCOME = "welcome"
    MENU = "menu"
    TOPIC = "topic"
    CHOICES = "choices"
    UNKNOWN = "unknown"
    RED_FLAG = "red_flag"  # emergency or urgent wording first, then the list
    TOO_LONG = "too_long"
    MEDIA = "media"


class TextMeOutcome(StrEnum):
    """How "text me this" went; the caller hears ``call.text_<outcome>``."""

    SENT = "sent"
    NOT_POSSIBLE = "not_possible"
    OPTED_OUT = "opted_out"
    LIMIT = "limit"
    BUSY = "busy"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"


class EventKind(StrEnum):
    """Usage events: what happened on the line, counted for reports."""

    CALL_STARTED = "call_started"
    CALL_ENDED = "call_ended"
    CALL_STATUS = "call_status"
    LANGUAGE_CHOSEN = "language_chosen"
    TOPIC_HEARD = "topic_heard"
    TOPIC_TEXTED = "topic_texted"
    REPROMPT = "reprompt"
    INVALID_KEY = "invalid_key"
    NOT_UNDERSTOOD = "not_understood"
    SMS_OPT_OUT = "sms_opt_out"
    SMS_OPT_IN = "sms_opt_in"
    SMS_HELD = "sms_held"
    SMS_UNREADABLE = "sms_unreadable"
    SMS_ANSWERED = "sms_answered"
    SMS_STATUS = "sms_status"
    RED_FLAG = "red_flag"  # outcome: emergency or urgent; no words kept


@dataclass(frozen=True)
class Happened:
    """Something worth counting (a usage event): ``kind``, with a topic or outcome. The
    engines return these; the web layer records them."""

    kind: EventKind
    lang: str = ""
    topic: str = ""
    outcome: str = ""
