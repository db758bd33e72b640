"""Fuzz every webhook of the real app and count what Twilio would reject.

    .venv/bin/python bench/fuzz.py [--requests 10000] [--seed 11] [--database sqlite|memory]

Random forms and queries (``voiceline.testing.fuzz.random_request``: odd values, Unicode
digits, format specs, TwiML in bodies, unsigned requests, other accounts) go to every
webhook of the app as ``create_app`` makes it, on the fixture prompts, through Flask's
test client. Each answer is judged (``fuzz.judge``): a 5xx, TwiML Twilio would refuse, a
call ending without the disclaimer, or a wrong 200/403. Prints a table per webhook and
the totals; exits 1 if anything was wrong. The recorded run is in docs/fuzz.md.
"""

from __future__ import annotations

import argparse
import collections
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceline import create_app  # noqa: E402
from voiceline.checks import load_checked  # noqa: E402
from voiceline.storage.store import MemoryStore  # noqa: E402
from voiceline.testing import ACCOUNT_SID, TwilioSigner  # noqa: E402
from voiceline.testing.fuzz import disclaimers, judge, random_request  # noqa: E402

PROMPTS = ROOT / "tests" / "fixtures" / "prompts"
TOKEN, BASE = "fuzz-auth-token", "https://line.example.org"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database", choices=("sqlite", "memory"), default="sqlite")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the app logs every request; only the table matters
    folder = Path(tempfile.mkdtemp(prefix="voiceline-fuzz-"))
    config = {"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE,
              "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "VOICELINE_HASH_SECRET": "fuzz-secret",
              "VOICELINE_PROMPTS_DIR": str(PROMPTS), "VOICELINE_PENDING_DIR": str(folder),
              "DATABASE_URL": f"sqlite:///{folder / 'line.sqlite3'}",
              "VOICELINE_SMS_REPLIES_PER_HOUR": "1000000"}
    app = create_app(config, store=MemoryStore() if args.database == "memory" else None)
    client, signer = app.test_client(), TwilioSigner(TOKEN, BASE)
    catalog = load_checked(PROMPTS)
    known = disclaimers(lang.call["disclaimer"] for lang in catalog.languages.values())
    rng = random.Random(args.seed)
    rows: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    problems: collections.Counter = collections.Counter()
    began = time.monotonic()
    for _ in range(args.requests):
        request = random_request(rng)
        headers = signer.headers(request.path, request.form) if request.signed else {}
        answer = client.post(request.path, data=request.form, headers=headers)
        body = answer.get_data(as_text=True)
        route = request.path.split("?")[0]
        row = rows[route]
        row["requests"] += 1
        row[str(answer.status_code)] += 1
        row["hangups"] += "<Hangup" in body
        problem = judge(request, answer.status_code, body, known)
        if problem is not None:
            row["wrong"] += 1
            problems[problem.split(":")[0]] += 1
    seconds = time.monotonic() - began
    total = collections.Counter()
    print(f"{args.requests:,} requests, seed {args.seed}, {args.database} store, "
          f"{seconds:.1f} s\n")
    print("| webhook | requests | 200 | 403 | 5xx | call endings | wrong |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for route in sorted(rows):
        row = rows[route]
        fives = sum(v for k, v in row.items() if k.isdigit() and k.startswith("5"))
        total.update(row)
        total["5xx"] += fives
        print(f"| `{route}` | {row['requests']:,} | {row['200']:,} | {row['403']:,} | {fives} "
              f"| {row['hangups']:,} | {row['wrong']} |")
    print(f"| **all** | {total['requests']:,} | {total['200']:,} | {total['403']:,} | "
          f"{total['5xx']} | {total['hangups']:,} | {total['wrong']} |\n")
    invalid = sum(v for k, v in problems.items() if k.startswith(("not XML", "root", "unknown",
                                                                   "<", "TwiML")))
    endings = problems["a call ended without the disclaimer"]
    print(f"5xx: {total['5xx']}; invalid TwiML: {invalid}; call endings without the "
          f"disclaimer: {endings}; other wrong answers: "
          f"{total['wrong'] - invalid - endings - total['5xx']}")
    for problem, count in problems.most_common():
        print(f"  {count} x {problem}")
    return 1 if total["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
