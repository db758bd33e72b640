"""Words (and seconds) from a call's first word to each topic's first word.

    .venv/bin/python bench/words_to_topic.py              # the shipped prompts/
    .venv/bin/python bench/words_to_topic.py --prompts tests/fixtures/prompts

Four callers, per language, through the real call engine (``engine.call``):

- keys: a first-time caller who waits for every prompt to end, then presses the keys
  that lead to the topic (the language, the main menu's choice, a sub-menu's choice);
- speaks: a caller who says the topic's name at the first prompt (the language choice),
  once it has been said in full;
- returning: a caller whose language the line remembers (``start_call(catalog, code)``),
  who knows the keys and presses each one as soon as a menu starts (barge-in), so hears
  only what cannot be interrupted: the welcome and the emergency notice, in their language;
- returning, waits: the same caller, who waits for every prompt to end (so hears the
  offer of the other language too).

A word is anything between spaces ("9 1 1" is three); seconds are at the engine's pace
(``text.readability.WORDS_PER_MINUTE``). The table gives the worst topic per caller and
language; every menu's own length (intro, choices and keys said after it) is printed
too, and the main menu a returning caller hears first (with the offer of the other
language). Targets: keys <= 90 words, speaks <= 45, every menu <= 35.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceline.catalog import Catalog, load_catalog  # noqa: E402
from voiceline.engine.call import (  # noqa: E402
    CallerInput,
    CallState,
    Speech,
    Step,
    answer,
    enter,
    start_call,
)
from voiceline.text.readability import WORDS_PER_MINUTE  # noqa: E402


def words(speeches: Iterable[Speech]) -> int:
    return sum(len(s.text.split()) for s in speeches)


def until_topic(step: Step, topic_id: str, interrupt: bool) -> tuple[int, bool]:
    """Words heard in ``step`` before the topic starts, and whether it started."""
    count = 0
    for speech in step.say:
        if speech.key == f"topic.{topic_id}":
            return count, True
        count += len(speech.text.split())
    if step.gather is not None and not interrupt:
        count += words(step.gather.prompt)
    return count, False


def key_path(catalog: Catalog, topic_id: str) -> list[str]:
    """The keys from the main menu to a topic."""
    flow = catalog.flow
    pending: list[tuple[str, list[str]]] = [(flow.main_menu, [])]
    while pending:
        menu_id, keys = pending.pop(0)
        for option in flow.menus[menu_id].options:
            if option.topic == topic_id:
                return [*keys, option.key]
            if option.menu:
                pending.append((option.menu, [*keys, option.key]))
    raise LookupError(topic_id)


def by_keys(catalog: Catalog, code: str, topic_id: str, interrupt: bool,
            remembered: bool = False) -> int:
    """Words until the topic by keys; ``remembered``: the line knows the caller's language."""
    step = start_call(catalog, code if remembered else None)
    keys = key_path(catalog, topic_id)
    if len(catalog.flow.languages) > 1 and not remembered:
        keys = [str(catalog.flow.languages.index(code) + 1), *keys]
    total = 0
    for key in keys:
        heard, started = until_topic(step, topic_id, interrupt)
        total += heard
        assert step.gather is not None and not started
        step = answer(catalog, step.gather.state, CallerInput(digits=key))
    heard, started = until_topic(step, topic_id, interrupt)
    assert started, (code, topic_id, keys)
    return total + heard


def by_speech(catalog: Catalog, code: str, topic_id: str) -> int:
    step = start_call(catalog)
    total, _ = until_topic(step, topic_id, interrupt=False)
    assert step.gather is not None
    label = catalog.languages[code].topics[topic_id].label
    step = answer(catalog, step.gather.state, CallerInput(speech=label))
    heard, started = until_topic(step, topic_id, interrupt=False)
    assert started, (code, topic_id, label)
    return total + heard


def seconds(count: int) -> str:
    return f"{count * 60 / WORDS_PER_MINUTE:.0f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", default=str(ROOT / "prompts"))
    args = parser.parse_args()
    catalog = load_catalog(args.prompts)
    ok = True
    print("| language | caller | worst topic | words | seconds | target |")
    print("| --- | --- | --- | --- | --- | --- |")
    callers: tuple[tuple[str, int | None], ...] = (
        ("keys", 90), ("speaks", 45), ("returning", None), ("returning, waits", None))
    for code in catalog.flow.languages:
        for caller, target in callers:
            counts = {}
            for topic_id in catalog.flow.topics:
                if caller == "speaks":
                    counts[topic_id] = by_speech(catalog, code, topic_id)
                else:
                    counts[topic_id] = by_keys(catalog, code, topic_id, caller == "returning",
                                               remembered=caller.startswith("returning"))
            worst = max(counts, key=lambda t: counts[t])
            n = counts[worst]
            ok &= target is None or n <= target
            print(f"| {code} | {caller} | {worst} | {n} | {seconds(n)} | "
                  f"{'<= ' + str(target) if target else '-'} |")
    print()
    print("| language | menu | words (intro, choices, keys) | seconds |")
    print("| --- | --- | --- | --- |")
    for code in catalog.flow.languages:
        for menu_id in catalog.flow.menus:
            gather = enter(catalog, CallState(code, menu_id)).gather
            assert gather is not None
            n = words(gather.prompt)
            ok &= n <= 35
            print(f"| {code} | {menu_id} | {n} | {seconds(n)} |")
        if len(catalog.flow.languages) > 1:  # a returning caller's first menu: the offer too
            gather = start_call(catalog, code).gather
            assert gather is not None
            n = words(gather.prompt)
            ok &= n <= 35
            print(f"| {code} | {catalog.flow.main_menu} (returning) | {n} | {seconds(n)} |")
    print()
    print("Targets (keys <= 90 words, speaks <= 45, every menu <= 35):",
          "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
