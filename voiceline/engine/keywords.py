"""Twilio's own keyword replies: when Twilio has answered a text itself, the line must not.

Twilio answers HELP/INFO and START/YES/UNSTOP itself on long codes and toll-free numbers
by default (its standard opt-out handling), and on any number of a Messaging Service with
Advanced Opt-Out, which also names the keyword class it matched (``OptOutType``: HELP,
START or STOP), the operator's own keywords included. A standalone short code answers
nothing unless its application does. STOP is not decided here: it is recorded first and
never answered by the line (``web.sms``).
"""

from __future__ import annotations

import re

TWILIO_HELP_WORDS = frozenset({"help", "info"})
TWILIO_START_WORDS = frozenset({"start", "yes", "unstop"})
ANSWERED_TYPES = frozenset({"HELP", "START"})
# Twilio writes a short code as its digits alone; every other number is E.164 (+...).
SHORT_CODE = re.compile(r"^[0-9]{3,8}$")


def replies_by_default(line_number: str) -> bool:
    """Twilio's default for the number texted: on for long codes and toll-free numbers,
    off for short codes."""
    return not SHORT_CODE.match(line_number.strip())


def twilio_answered(body: str, opt_out_type: str, line_number: str,
                    setting: bool | None) -> bool:
    """Whether Twilio has already replied to this text (``setting``: on, off, or None to
    follow Twilio's default for ``line_number``). Twilio matches a keyword only when it is
    the whole text, so "help me" is the line's to answer."""
    if opt_out_type.strip().upper() in ANSWERED_TYPES:
        return True  # Advanced Opt-Out says so, whatever the setting believes
    on = replies_by_default(line_number) if setting is None else setting
    return on and body.strip().casefold() in TWILIO_HELP_WORDS | TWILIO_START_WORDS
