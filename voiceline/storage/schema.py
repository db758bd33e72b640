"""The schema, declared once: every table the line keeps, on SQLite and PostgreSQL.

The migrations (``migrations/``) create and change these tables; ``metadata`` is what
they compare against. No table holds a phone number or a message body: numbers are keyed
hashes (``number_key``), texts are short keyed digests, events have no caller identity.
The key of those hashes is never stored here (``VOICELINE_HASH_SECRET``), so a dump alone
cannot be searched for a number or a text.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

texters = sa.Table(
    "texters", metadata,
    sa.Column("number_key", sa.String(64), primary_key=True),
    sa.Column("opted_out", sa.Boolean, nullable=False, default=False),
    sa.Column("language", sa.String(16), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # Counts opt-out changes: the change committed last has the highest number.
    sa.Column("opt_version", sa.Integer, nullable=False, default=0, server_default="0"),
    # The language memory reads the languages changed since it last looked (``languages``).
    sa.Index("texters_updated_at", "updated_at"),
)

# The language a caller chose on the phone, for their next call (``languages``). Apart
# from ``texters`` on purpose: a row there means the number has texted (its first text
# gets the welcome, 911 and how to stop), and a call must not change that.
callers = sa.Table(
    "callers", metadata,
    sa.Column("number_key", sa.String(64), primary_key=True),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("callers_updated_at", "updated_at"),
)

allowances = sa.Table(
    "allowances", metadata,
    sa.Column("number_key", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),  # "sms_reply", "text_me"
    sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
    sa.Column("used", sa.Integer, nullable=False, default=0),
)

text_guard = sa.Table(
    "text_guard", metadata,
    sa.Column("number_key", sa.String(64), primary_key=True),
    sa.Column("digest", sa.String(16), nullable=False, default=""),
    sa.Column("repeats", sa.Integer, nullable=False, default=0),
    sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True),
    # The hourly reply allowance, in the same row: one statement per text counts both.
    sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
    sa.Column("used", sa.Integer, nullable=False, default=0, server_default="0"),
)

# STOP, START and HELP already handled, by a keyed hash of their MessageSid: a replayed
# request (same MessageSid, same signature) changes nothing.
handled_messages = sa.Table(
    "handled_messages", metadata,
    sa.Column("message_key", sa.String(64), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

# /healthz writes here: a store that can be read but not written is not healthy.
health_probe = sa.Table(
    "health_probe", metadata,
    sa.Column("name", sa.String(16), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

events = sa.Table(
    "events", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("language", sa.String(16), nullable=True),
    sa.Column("topic", sa.String(64), nullable=True),
    sa.Column("outcome", sa.String(32), nullable=True),
    sa.Column("seconds", sa.Integer, nullable=True),
    sa.Column("code", sa.String(8), nullable=True),
    # Where in a call it happened (a menu id, "language", "topic.<id>"), for "where callers
    # get lost"; empty for texts.
    sa.Column("node", sa.String(64), nullable=True),
    sa.Index("events_at", "at"),
)

# The events counted per UTC day and every detail but the time: what the dashboard reads,
# so a million events cost a few thousand rows. Kept in step with ``events`` by the same
# transaction that writes them (``SqlEventLog.write_batch``). Details are "" rather than
# NULL, so that equal details meet in the primary key; ``seconds`` only for call lengths.
event_counts = sa.Table(
    "event_counts", metadata,
    sa.Column("day", sa.String(10), primary_key=True),  # YYYY-MM-DD, UTC
    sa.Column("channel", sa.String(8), primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("language", sa.String(16), primary_key=True),
    sa.Column("topic", sa.String(64), primary_key=True),
    sa.Column("outcome", sa.String(32), primary_key=True),
    sa.Column("node", sa.String(64), primary_key=True),
    sa.Column("seconds", sa.Integer, primary_key=True),  # -1: none
    sa.Column("count", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,  # SQLite keeps the rows in key order: a range of days is read
    # in one sweep
)

# Requests the line did not understand, in the caller's words: only when the operator
# turns it on (VOICELINE_KEEP_UNANSWERED), scrubbed of numbers, emails and addresses, with
# no caller identity, deleted after 30 days.
unanswered = sa.Table(
    "unanswered", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("node", sa.String(64), nullable=False),
    sa.Column("words", sa.String(80), nullable=False),
    sa.Index("unanswered_at", "at"),
)

# Operator accounts for /operator (``voiceline operator add NAME``): a password hash from
# a current key-derivation function (werkzeug's scrypt), never the password.
operators = sa.Table(
    "operators", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
