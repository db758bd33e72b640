"""Honest provenance: who checked each topic against the guide, when, and whether the
words are still the ones they checked.

A topic says ``reviewed_by`` and ``reviewed`` (a date), both "not yet reviewed" until a
clinician has checked it. ``voiceline review`` records a review and the fingerprint of the
words reviewed (``reviewed_words``, see ``Topic.words_hash``); a topic whose words changed
since is "review out of date". ``voiceline check`` lists the topics awaiting review apart
from its warnings, and ``/healthz`` counts them: an unreviewed topic is not a fault of the
files, but nobody should mistake it for a reviewed one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ..catalog import Catalog, Language, Topic
from ..catalog.model import NOT_REVIEWED
from ..errors import Finding


class Review(StrEnum):
    REVIEWED = "reviewed"
    NOT_YET = NOT_REVIEWED
    OUT_OF_DATE = "review out of date"


@dataclass(frozen=True)
class Awaiting:
    lang: str
    topic: str
    review: Review


def review_of(topic: Topic) -> Review:
    if topic.reviewed is None or topic.reviewed_by.strip().lower() == NOT_REVIEWED:
        return Review.NOT_YET
    if topic.reviewed_words != topic.words_hash():
        return Review.OUT_OF_DATE
    return Review.REVIEWED


def awaiting_review(catalog: Catalog) -> list[Awaiting]:
    """Every topic, in every language, that no clinician has checked in its current words."""
    return [Awaiting(code, topic.id, review_of(topic))
            for code, lang in catalog.languages.items() for topic in lang.topics.values()
            if review_of(topic) is not Review.REVIEWED]


def review_findings(catalog: Catalog, lang: Language) -> Iterator[Finding]:
    """A review record that contradicts itself (a name without a date, or the other way
    round; a date in the future) is a warning: it cannot be trusted as written."""
    file = f"{catalog.root.name}/{lang.code}/topics.toml"
    for topic in lang.topics.values():
        named = topic.reviewed_by.strip().lower() != NOT_REVIEWED
        if named and topic.reviewed is None:
            yield Finding(file, None, f"topics.{topic.id}.reviewed", f"Topic '{topic.id}' "
                          f"names a reviewer ({topic.reviewed_by}) but no review date.",
                          "Record the review with `voiceline review` (it writes the date), "
                          f'or write reviewed_by = "{NOT_REVIEWED}".', severity="warning")
        elif not named and topic.reviewed is not None:
            yield Finding(file, None, f"topics.{topic.id}.reviewed_by", f"Topic "
                          f"'{topic.id}' has a review date but does not say who reviewed it.",
                          "Record the review with `voiceline review --by NAME`, or write "
                          f'reviewed = "{NOT_REVIEWED}".', severity="warning")
        elif topic.reviewed is not None and topic.reviewed > date.today():
            yield Finding(file, None, f"topics.{topic.id}.reviewed", f"The review date "
                          f"{topic.reviewed} is in the future.",
                          "Write the day the topic was checked.", severity="warning")
