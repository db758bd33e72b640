"""The operators' figures over a date range, from the counted events (``events.CountRow``).

One ``Report`` feeds the dashboard, its CSV and ``voiceline report``, so they always
agree. Kinds are counted generically (``kinds``): a kind the line starts to note later
appears there without a change here. Days are UTC days.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..engine.outcomes import Answered, CallEnd, EventKind
from .events import NO_SECONDS, CountRow, EventLog, WordsRow

# What a text to the line leaves behind: exactly one of these per text received (an
# opt-in also leaves its answer, and a held text its reason).
TEXT_RECEIVED = {EventKind.SMS_ANSWERED, EventKind.SMS_UNREADABLE, EventKind.SMS_OPT_OUT,
                 EventKind.SMS_HELD}
LOST_KINDS = (EventKind.REPROMPT, EventKind.INVALID_KEY, EventKind.NOT_UNDERSTOOD)
RED_FLAG = "red_flag"  # noted by the red-flag screen: outcome "emergency" or "urgent"
CALL_ENDS = {CallEnd.CALLER: "chose to end", CallEnd.NO_INPUT: "silence",
             CallEnd.ERROR: "error"}
DAILY_COLUMNS = ("day", "calls", "texts", "topics_heard", "topics_texted", "topics_by_sms",
                 "not_understood", "red_flags", "opt_outs")
TEXT_NODE = "(text message)"  # the "menu" a text that was not understood was sent to


@dataclass(frozen=True)
class Lost:
    """Where callers get lost: one menu (or texts) and what went wrong there."""

    channel: str
    node: str
    reprompts: int = 0
    invalid_keys: int = 0
    not_understood: int = 0


@dataclass
class Report:
    first: date
    last: date
    daily: list[dict[str, object]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    topics: dict[str, dict[str, int]] = field(default_factory=dict)  # heard, texted, by_sms
    languages: dict[str, dict[str, int]] = field(default_factory=dict)  # calls, texts
    call_endings: dict[str, int] = field(default_factory=dict)
    lost: list[Lost] = field(default_factory=list)
    median_call_seconds: float | None = None
    text_me: dict[str, int] = field(default_factory=dict)
    delivery: dict[str, int] = field(default_factory=dict)
    opt_outs: int = 0
    opt_ins: int = 0
    red_flags: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)  # "channel kind outcome" -> count
    unanswered: list[WordsRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"first": self.first.isoformat(), "last": self.last.isoformat(),
                "totals": self.totals, "daily": self.daily, "topics": self.topics,
                "languages": self.languages, "call_endings": self.call_endings,
                "median_call_seconds": self.median_call_seconds,
                "lost": [vars(lost) for lost in self.lost], "text_me": self.text_me,
                "delivery": self.delivery, "opt_outs": self.opt_outs, "opt_ins": self.opt_ins,
                "red_flags": self.red_flags, "kinds": self.kinds,
                "unanswered": [vars(row) for row in self.unanswered]}

    def daily_csv(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, DAILY_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(self.daily)
        return out.getvalue()


def report(log: EventLog, first: date, last: date, with_words: bool = False) -> Report:
    """The figures from day ``first`` to day ``last``, both included."""
    words = log.words(first, last) if with_words else []
    return build(log.counts(first, last, per_day=True), log.counts(first, last, per_day=False),
                 first, last, words)


def build(per_day: Iterable[CountRow], over_range: Iterable[CountRow], first: date,
          last: date, words: list[WordsRow] | None = None) -> Report:
    """The figures from the counts per day (by channel, kind and outcome: the daily table)
    and over the range (by every other detail: the rest)."""
    days = {first + timedelta(days=n): Counter[str]() for n in range((last - first).days + 1)}
    for row in per_day:
        day = days.get(date.fromisoformat(row.day))
        if day is not None:
            for column in _daily_columns(row):
                day[column] += row.count
    topics: dict[str, Counter[str]] = {}
    languages: dict[str, Counter[str]] = {}
    endings: Counter[str] = Counter()
    lost: dict[tuple[str, str], Counter[str]] = {}
    lengths: Counter[int] = Counter()
    text_me: Counter[str] = Counter()
    delivery: Counter[str] = Counter()
    red_flags: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    completed = ended = 0
    for row in over_range:
        n, kind = row.count, row.kind
        kinds[" ".join(part for part in (row.channel, kind, row.outcome) if part)] += n
        if kind == EventKind.TOPIC_HEARD and row.topic:
            topics.setdefault(row.topic, Counter())["heard"] += n
        elif kind == EventKind.TOPIC_TEXTED:
            text_me[row.outcome or "unknown"] += n
            if row.outcome == "sent" and row.topic:
                topics.setdefault(row.topic, Counter())["texted"] += n
        elif kind == EventKind.SMS_ANSWERED and row.outcome == Answered.TOPIC and row.topic:
            topics.setdefault(row.topic, Counter())["by_sms"] += n
        if kind == EventKind.LANGUAGE_CHOSEN and row.language:
            languages.setdefault(row.language, Counter())["calls"] += n
        elif kind in TEXT_RECEIVED and row.language:
            languages.setdefault(row.language, Counter())["texts"] += n
        if kind == EventKind.CALL_ENDED:
            ended += n
            endings[CALL_ENDS.get(CallEnd(row.outcome), row.outcome)
                    if row.outcome in CALL_ENDS else row.outcome or "unknown"] += n
        elif kind == EventKind.CALL_STATUS:
            if row.outcome == "completed":
                completed += n
                if row.seconds != NO_SECONDS:
                    lengths[row.seconds] += n
            elif row.outcome:
                endings[f"status: {row.outcome}"] += n
        if row.channel == "voice" and kind in LOST_KINDS:
            lost.setdefault(("voice", row.node or "(unknown)"), Counter())[kind] += n
        elif _sms_not_understood(row):
            lost.setdefault(("sms", TEXT_NODE), Counter())[EventKind.NOT_UNDERSTOOD] += n
        if kind == EventKind.SMS_STATUS:
            delivery[row.outcome or "unknown"] += n
        if kind == RED_FLAG:
            red_flags[row.outcome or "unknown"] += n
    # A completed call the line did not end itself: the caller hung up.
    endings["hung up"] = max(0, completed - ended)
    daily = [{"day": d.isoformat(), **{c: counts[c] for c in DAILY_COLUMNS[1:]}}
             for d, counts in days.items()]
    totals = {c: sum(int(str(row[c])) for row in daily) for c in DAILY_COLUMNS[1:]}
    return Report(
        first, last, daily, totals,
        topics={t: {k: c[k] for k in ("heard", "texted", "by_sms")}
                for t, c in sorted(topics.items(), key=lambda item: -item[1].total())},
        languages={code: {"calls": c["calls"], "texts": c["texts"]}
                   for code, c in sorted(languages.items())},
        call_endings={name: endings[name] for name in (*CALL_ENDS.values(), "hung up")}
        | {k: v for k, v in sorted(endings.items()) if k.startswith("status:")},
        lost=sorted((Lost(channel, node, c[EventKind.REPROMPT], c[EventKind.INVALID_KEY],
                          c[EventKind.NOT_UNDERSTOOD]) for (channel, node), c in lost.items()),
                    key=lambda lost: -(lost.reprompts + lost.invalid_keys + lost.not_understood)),
        median_call_seconds=_median(lengths), text_me=dict(text_me.most_common()),
        delivery=dict(delivery.most_common()), opt_outs=totals["opt_outs"],
        opt_ins=kinds["sms sms_opt_in"], red_flags=dict(red_flags.most_common()),
        kinds=dict(sorted(kinds.items())), unanswered=words or [])


def _daily_columns(row: CountRow) -> tuple[str, ...]:
    kind = row.kind
    if kind == EventKind.CALL_STARTED:
        return ("calls",)
    if kind == EventKind.SMS_OPT_OUT:
        return ("texts", "opt_outs")
    if _sms_not_understood(row):
        return ("texts", "not_understood")
    if kind in TEXT_RECEIVED:
        return ("texts",)
    if kind == EventKind.TOPIC_HEARD:
        return ("topics_heard",)
    if kind == EventKind.TOPIC_TEXTED and row.outcome == "sent":
        return ("topics_texted",)
    if kind == EventKind.SMS_ANSWERED and row.outcome == Answered.TOPIC:
        return ("topics_by_sms",)
    if kind == RED_FLAG:
        return ("red_flags",)
    if kind == EventKind.NOT_UNDERSTOOD:
        return ("not_understood",)
    return ()


def _sms_not_understood(row: CountRow) -> bool:
    return row.kind == EventKind.SMS_ANSWERED and row.outcome == Answered.UNKNOWN


def _median(lengths: Counter[int]) -> float | None:
    """The median of values given with their counts (a histogram of call lengths)."""
    total = lengths.total()
    if not total:
        return None
    wanted = {(total - 1) // 2, total // 2}  # the middle one, or the middle two
    found: list[int] = []
    seen = 0
    for value in sorted(lengths):
        after = seen + lengths[value]
        found += [value for index in sorted(wanted) if seen <= index < after]
        seen = after
    return sum(found) / len(found)
