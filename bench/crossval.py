"""How well the examples teach requests the line has not seen: each set left out in turn.

    .venv/bin/python bench/crossval.py                      # calib5..calib20 and more, in turn
    .venv/bin/python bench/crossval.py --sets calib14,calib15 --words-alone

The tuning sets' requests are the prompts' examples (``prompts/<lang>/examples.toml``),
so ``eval_understanding.py`` counts them close to 100 % by construction. Here each set is
taken out of the examples in turn (every request of it, however it was filed), the
line's readers are built again without it, and the set is counted as
``eval_understanding.py`` counts it. The figures say how the learned second opinion does
on a set of writers it never read; the topics' words were still tuned on these sets'
misses, so they read somewhat better than a holdout would. Use them to compare changes to
the engine, not as the measure of requests never seen (that is the holdouts').
``--words-alone`` takes out every example instead (the topics' words alone).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter
from pathlib import Path
from types import MappingProxyType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval_sets import TUNING  # noqa: E402
from eval_understanding import LANGUAGES, judge, rows  # noqa: E402

from voiceline.catalog import Catalog, load_catalog  # noqa: E402
from voiceline.engine.understand import understand  # noqa: E402
from voiceline.text.understanding import normalise  # noqa: E402

# Every tuning set from calib5 on, as every recorded run has left them out: listed once,
# in eval_sets.py, so a new set is left out here as soon as it is a tuning set.
LEFT_OUT = TUNING[TUNING.index("calib5"):]


def without(catalog: Catalog, lang: str, requests: set[str] | None, tag: str) -> Catalog:
    """The catalog with ``requests`` (all of them when None) taken out of one language's
    examples; a new version, so its readers are built afresh."""
    language = catalog.languages[lang]
    kept = {key: () if requests is None else
            tuple(r for r in filed if normalise(r) not in requests)
            for key, filed in language.examples.items()}
    languages = dict(catalog.languages)
    languages[lang] = dataclasses.replace(language, examples=MappingProxyType(kept))
    return dataclasses.replace(catalog, version=f"{catalog.version}-{tag}",
                               languages=MappingProxyType(languages))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", default=str(ROOT / "prompts"))
    parser.add_argument("--sets", default=",".join(LEFT_OUT))
    parser.add_argument("--words-alone", action="store_true",
                        help="take out every example, not only the set's")
    args = parser.parse_args()
    catalog = load_catalog(args.prompts)
    print("| set left out | language | requests | right first | offered | wrong | nothing "
          "| off-topic answered |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    totals: dict[str, Counter[str]] = {lang: Counter() for lang in LANGUAGES}
    for name in args.sets.split(","):
        for lang in LANGUAGES:
            data = rows(name, lang)
            left_out = None if args.words_alone else {normalise(r["text"]) for r in data}
            trial = without(catalog, lang, left_out, f"{name}-{lang}")
            counts: Counter[str] = Counter()
            for row in data:
                found = understand(trial, row["text"], lang)
                verdict = judge(row["label"], found.topic, found.choices)
                counts[verdict] += 1
                counts["n"] += 1
                if row["label"] == "none":
                    counts["none"] += 1
                    counts["none_wrong"] += verdict == "wrong"
            totals[lang].update(counts)
            print(line(name, lang, counts))
    for lang in LANGUAGES:
        print(line("all", lang, totals[lang]))
    return 0


def line(name: str, lang: str, c: Counter[str]) -> str:
    n = c["n"] or 1
    pct = {k: 100.0 * c[k] / n for k in ("right", "offered", "wrong", "nothing")}
    return (f"| {name} | {lang} | {c['n']} | {pct['right']:.1f} % | {pct['offered']:.1f} % | "
            f"{pct['wrong']:.1f} % | {pct['nothing']:.1f} % | {c['none_wrong']} of {c['none']} |")


if __name__ == "__main__":
    raise SystemExit(main())
