"""Red-flag detection measured on labelled requests: how many emergencies and urgent
problems ``engine.red_flags.detect`` finds, and how many topic questions it flags wrongly.

    .venv/bin/python bench/redflags.py [--prompts prompts] [--markdown]

Reads bench/eval/redflags_*.tsv (text, label: emergency, urgent or none) and, for false
alarms, the topic questions of bench/eval/dev_*.tsv, calib*_*.tsv and holdout*_*.tsv (none
of which is labelled a red flag; a few tell of someone else's swollen, red arm and are
flagged urgent, which errs on the safe side). The recorded run is in docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from eval_sets import SETS

from voiceline.checks import load_checked
from voiceline.engine.red_flags import detect

EVAL = Path(__file__).resolve().parent / "eval"


def rows(name: str) -> list[dict[str, str]]:
    with (EVAL / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", default=str(Path(__file__).resolve().parent.parent
                                                 / "prompts"))
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list every wrong answer")
    args = parser.parse_args()
    catalog = load_checked(args.prompts)
    table = []
    timing: list[float] = []
    for lang in ("en", "es"):
        data = rows(f"redflags_{lang}.tsv")
        for label in ("emergency", "urgent", "none"):
            subset = [r for r in data if r["label"] == label]
            right = 0
            for row in subset:
                flag = detect(catalog, row["text"], lang)
                got = flag.kind.value if flag else "none"
                right += got == label
                if got != label and args.misses:
                    print(f"  {lang} want {label:9} got {got:9} {row['text']}")
            table.append((f"redflags_{lang}", label, len(subset), right))
        topics = [(name, row) for name in SETS
                  for row in rows(f"{name}_{lang}.tsv")]
        started = time.perf_counter()
        alarms = [(name, r["text"]) for name, r in topics if detect(catalog, r["text"], lang)]
        timing.append((time.perf_counter() - started) / len(topics))
        if args.misses:  # holdout rows are only counted, never shown
            for name, text in alarms:
                print(f"  {lang} topic question flagged: {text}" if not name.startswith("holdout")
                      else
                      f"  {lang} a holdout topic question flagged (not shown)")
        table.append((f"topic questions {lang}", "none", len(topics),
                      len(topics) - len(alarms)))
    header = ("requests", "label", "count", "answered right", "share")
    lines = [(name, label, str(n), str(ok), f"{ok / n:.1%}" if n else "-")
             for name, label, n, ok in table]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("| " + " | ".join("---" for _ in header) + " |")
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        for line in (header, *lines):
            print(f"{line[0]:28} {line[1]:10} {line[2]:>6} {line[3]:>15} {line[4]:>6}")
    print(f"\nMean time per request (topic questions, first sight): "
          f"{1000 * sum(timing) / len(timing):.2f} ms")


if __name__ == "__main__":
    main()
