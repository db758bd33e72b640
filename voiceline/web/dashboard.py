"""The dashboard: how the line is used over a date range, and what it could not answer.

``GET /operator/`` shows the figures of ``storage.reports`` (from the daily counts, so it
stays fast at millions of events); ``GET /operator/daily.csv`` downloads the daily table.
The range is read from ``from`` and ``to`` (YYYY-MM-DD, UTC days); by default the last 30
days. No page shows a phone number, a hash or a message body: events have none, and the
kept words of requests not understood are scrubbed before they are stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, Response, current_app, render_template, request

from .. import settings
from ..catalog import Catalog
from ..engine.understand import rank
from ..errors import StoreError
from ..storage.reports import Report, report
from ..storage.sql import STORE_ERRORS
from . import charts
from .operator import check_csrf, protect, require_operator
from .services import current_catalog, services

bp = Blueprint("dashboard", __name__, url_prefix="/operator")
log = logging.getLogger(__name__)
bp.before_request(require_operator)
bp.before_request(check_csrf)
bp.after_request(protect)

DEFAULT_DAYS = 30
MAX_DAYS = 400
COLUMN_NAMES = {"day": "Day", "calls": "Calls", "texts": "Texts", "topics_heard":
                "Topics heard", "topics_texted": "Topics sent by “text me this”",
                "topics_by_sms": "Topics read by text", "not_understood": "Not understood",
                "red_flags": "Red flags answered", "opt_outs": "Opt-outs"}


@dataclass(frozen=True)
class Range:
    first: date
    last: date
    problem: str = ""


def date_range(args: dict[str, str], today: date | None = None) -> Range:
    """The days asked for, or the last 30; a wrong date is named, never an error page."""
    today = today or datetime.now(UTC).date()
    problem = ""
    try:
        last = date.fromisoformat(args["to"]) if args.get("to") else today
    except ValueError:
        last, problem = today, "The end date was not a date (YYYY-MM-DD); showing up to today."
    try:
        first = (date.fromisoformat(args["from"]) if args.get("from") else
                 last - timedelta(days=DEFAULT_DAYS - 1))
    except ValueError:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
        problem = "The start date was not a date (YYYY-MM-DD); showing 30 days."
    if first > last:
        first, last = last, first
    if (last - first).days >= MAX_DAYS:
        first = last - timedelta(days=MAX_DAYS - 1)
        problem = f"At most {MAX_DAYS} days at once; showing the last {MAX_DAYS}."
    return Range(first, last, problem)


def closest_topic(catalog: Catalog | None, language: str, words: str) -> str:
    """The label of the topic a request not understood came closest to ("" if none): the
    one place that decides it, so a better matcher changes only this."""
    if catalog is None or not catalog.languages:
        return ""
    # The understanding engine's own ranking: what it would have offered, had it been sure.
    code, ranking = rank(catalog, words, catalog.language(language or None).code)
    topics = catalog.languages[code].topics
    # The ranking also holds the off-topic concept ("can I make an appointment"): no topic.
    closest = next((m.key for m in ranking.matches if m.key in topics), None)
    return topics[closest].label if closest is not None else ""


def _report(span: Range) -> Report:
    keep = settings.is_on(current_app.config, "VOICELINE_KEEP_UNANSWERED")
    try:
        return report(services().events, span.first, span.last, with_words=keep)
    except STORE_ERRORS as exc:
        raise StoreError(f"could not read the usage counts: {type(exc).__name__}") from None


@bp.errorhandler(StoreError)
def database_down(error: StoreError) -> tuple[str, int]:
    log.warning("dashboard: %s", error)
    return render_template("operator/unavailable.html"), 503


@bp.get("/")
def overview() -> str:
    span = date_range(request.args.to_dict())
    figures = _report(span)
    catalog = current_catalog()
    labels = _topic_labels(catalog)
    unanswered = [(row, closest_topic(catalog, row.language, row.words))
                  for row in figures.unanswered]
    return render_template(
        "operator/dashboard.html", span=span, report=figures, labels=labels,
        columns=COLUMN_NAMES, unanswered=unanswered,
        keeps_words=settings.is_on(current_app.config, "VOICELINE_KEEP_UNANSWERED"),
        daily_chart=charts.daily_bars(figures.daily, ("calls", "Calls"), ("texts", "Texts")),
        days_shown=len(figures.daily))


@bp.get("/daily.csv")
def daily_csv() -> Response:
    span = date_range(request.args.to_dict())
    body = _report(span).daily_csv()
    name = f"voiceline-daily-{span.first.isoformat()}-to-{span.last.isoformat()}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _topic_labels(catalog: Catalog | None) -> dict[str, str]:
    if catalog is None or not catalog.languages:
        return {}
    lang = catalog.language(None)
    return {topic_id: topic.label for topic_id, topic in lang.topics.items()}

