"""The rules for answering texts, as pure functions: opt-outs, the loop guard, allowances.

A number that texted STOP gets nothing. An auto-responder answering every reply would
loop with the line, sending the same text again and again: the loop guard answers the
first, stays silent for the second within ``LOOP_WINDOW`` and mutes the number for
``LOOP_SILENCE`` at the third. An allowance counts a number's replies (or "text me this"
texts) in a fixed window, an hour. The store keeps the rows; these functions decide.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from .outcomes import Verdict

# An auto-responder answering every reply loops with the line: the same text again and
# again. The second identical text within the window gets no reply; the third mutes the
# number for a while (and each further identical text extends the silence).
LOOP_WINDOW = timedelta(minutes=10)
LOOP_REPEATS = 3
LOOP_SILENCE = timedelta(hours=1)
# A window starting this far in the future means the clock went back: a new window. Less
# is the ordinary skew of requests counted at once (each took its time a moment apart).
CLOCK_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Texter:
    opted_out: bool = False
    language: str | None = None


@dataclass(frozen=True)
class Allowance:
    window_start: datetime | None = None
    used: int = 0


@dataclass(frozen=True)
class Guard:
    digest: str = ""
    repeats: int = 0
    last_at: datetime | None = None
    muted_until: datetime | None = None


@dataclass(frozen=True)
class Admission:
    """Whether a text gets a reply: the texter as stored (None if never seen) and a verdict,
    REPLY, or why not (OPTED_OUT, REPEAT, MUTED by the loop guard, LIMIT reached)."""
    texter: Texter | None
    verdict: Verdict


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def use_allowance(row: Allowance, limit: int, per: timedelta, now: datetime
                  ) -> tuple[Allowance, bool]:
    """One more use of a per-number allowance of ``limit`` per ``per`` (a fixed window)."""
    start = _aware(row.window_start)
    if start is None or now - start >= per or start > now + CLOCK_SLACK:
        row = Allowance(now, 0)
    if row.used >= limit:
        return row, False
    return replace(row, used=row.used + 1), True


def screen(row: Guard, digest: str, now: datetime) -> tuple[Guard, Verdict]:
    """The loop guard's verdict on one text: REPLY, REPEAT (silent) or MUTED (silent)."""
    last_at, muted_until = _aware(row.last_at), _aware(row.muted_until)
    same = row.digest == digest and last_at is not None and now - last_at < LOOP_WINDOW
    repeats = row.repeats + 1 if same else 1
    if muted_until is not None and now < muted_until:
        until = now + LOOP_SILENCE if same else muted_until
        return Guard(digest, repeats, now, until), Verdict.MUTED
    if repeats >= LOOP_REPEATS:
        return Guard(digest, repeats, now, now + LOOP_SILENCE), Verdict.MUTED
    return Guard(digest, repeats, now, None), Verdict.REPEAT if repeats > 1 else Verdict.REPLY


def admit(texter: Texter | None, guard: Guard, allowance: Allowance, digest: str | None,
          limit: int, per: timedelta, now: datetime) -> tuple[Guard, Allowance, Verdict]:
    """The loop guard (skipped when ``digest`` is None: START, whose confirmation is always
    due, or a line run without the guard), then the reply allowance; an opted-out number
    changes nothing and gets Verdict.OPTED_OUT."""
    if texter is not None and texter.opted_out:
        return guard, allowance, Verdict.OPTED_OUT
    if digest is not None:
        guard, verdict = screen(guard, digest, now)
        if verdict != Verdict.REPLY:
            return guard, allowance, verdict
    allowance, allowed = use_allowance(allowance, limit, per, now)
    return guard, allowance, Verdict.REPLY if allowed else Verdict.LIMIT


def verdict_of(repeats: int, muted_until: datetime | None, used: int, limit: int,
               now: datetime) -> Verdict:
    """The verdict ``admit`` gives, from the counts it leaves behind (the store counts them
    in one SQL statement and reads them back): MUTED, REPEAT, else REPLY within the limit."""
    muted = _aware(muted_until)
    if muted is not None and now < muted:
        return Verdict.MUTED
    if repeats > 1:
        return Verdict.REPEAT
    return Verdict.REPLY if used <= limit else Verdict.LIMIT
