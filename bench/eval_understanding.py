"""How well the line understands requests: the evaluation set, per language and channel.

    .venv/bin/python bench/eval_understanding.py            # the shipped prompts/
    .venv/bin/python bench/eval_understanding.py --misses   # and the tuning sets' misses

Each row of bench/eval/{dev,calib*,holdout*}_{en,es}.tsv (listed in eval_sets.py) is a request and
the topic it asks for ("none" when no topic answers it). The request is understood exactly
as the line does (``engine.understand``, from the caller's language: the file's), and
counted as:

- right first: the topic is answered as sure;
- offered: the topic is among the "did you mean" choices;
- wrong: another topic is answered as sure;
- nothing: the topic is neither answered nor offered.

For "none" requests, "right first" means nothing was answered, and "wrong" that a topic
was. Time is per request (after the catalog's readers are built once), median and 99th
percentile; the table is Markdown. The sets are printed apart: dev and the calib sets are
for tuning (each calib set was written apart from the line and counted once before it
was tuned on; their requests are now the prompts' examples, so they count close to 100 %
by construction); the holdout sets were written apart too and are only counted, never
listed, so tuning cannot see them.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval_sets import HOLDOUTS, SETS  # noqa: E402

from voiceline.catalog import load_catalog  # noqa: E402
from voiceline.engine.understand import indexes_of, understand  # noqa: E402

LANGUAGES = ("en", "es")


def rows(name: str, lang: str) -> list[dict[str, str]]:
    with open(ROOT / "bench" / "eval" / f"{name}_{lang}.tsv", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def judge(label: str, topic: str, choices: tuple[str, ...]) -> str:
    if label == "none":
        return "wrong" if topic else ("offered" if choices else "right")
    if topic == label:
        return "right"
    if topic:
        return "wrong"
    return "offered" if label in choices else "nothing"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", default=str(ROOT / "prompts"))
    parser.add_argument("--misses", action="store_true",
                        help="list every tuning-set request not right (never holdout rows: "
                             "they are only counted, so tuning cannot see them)")
    parser.add_argument("--sets", default=",".join(SETS))
    args = parser.parse_args()
    catalog = load_catalog(args.prompts)
    indexes_of(catalog)  # built once per catalog, before any request is timed
    print("| set | language | channel | requests | right first | offered | wrong | nothing "
          "| off-topic answered | median us | p99 us |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    ok = True
    for name in args.sets.split(","):
        for lang in LANGUAGES:
            counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            times: dict[str, list[float]] = defaultdict(list)
            misses = []
            for row in rows(name, lang):
                start = time.perf_counter()
                found = understand(catalog, row["text"], lang)
                took = (time.perf_counter() - start) * 1e6
                verdict = judge(row["label"], found.topic, found.choices)
                for channel in (row["channel"], "all"):
                    counts[channel][verdict] += 1
                    counts[channel]["n"] += 1
                    if row["label"] == "none":
                        counts[channel]["none"] += 1
                        counts[channel]["none_wrong"] += verdict == "wrong"
                    times[channel].append(took)
                if verdict != "right":
                    misses.append((verdict, row["label"], found.topic or ",".join(found.choices),
                                   row["text"]))
            for channel in ("voice", "sms", "all"):
                c, n = counts[channel], counts[channel]["n"]
                if not n:
                    continue
                t = sorted(times[channel])
                p99 = t[min(len(t) - 1, int(len(t) * 0.99))]
                pct = {k: 100.0 * c[k] / n for k in ("right", "offered", "wrong", "nothing")}
                if channel == "all":
                    ok &= pct["right"] >= 95 and pct["wrong"] <= 1 and not c["none_wrong"]
                print(f"| {name} | {lang} | {channel} | {n} | {pct['right']:.1f} % | "
                      f"{pct['offered']:.1f} % | {pct['wrong']:.1f} % | {pct['nothing']:.1f} % | "
                      f"{c['none_wrong']} of {c['none']} | {statistics.median(t):.0f} | "
                      f"{p99:.0f} |")
            if args.misses and name not in HOLDOUTS:
                for miss in misses:
                    print("   ", *miss, sep="\t", file=sys.stderr)
    print()
    print("Targets (per set and language): right first >= 95 %, wrong <= 1 %, "
          "no off-topic request answered with a topic:", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
