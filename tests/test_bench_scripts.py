"""The benchmark scripts of issue 9 run from their one documented command and print their
tables (on the fixture prompts, so an operator's edit of prompts/ cannot break them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURE_PROMPTS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from eval_sets import HOLDOUTS, SETS, TUNING  # noqa: E402


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script),
                           "--prompts", str(FIXTURE_PROMPTS), *args],
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_the_evaluation_prints_every_set_language_and_channel():
    out = run("eval_understanding.py")
    for name in SETS:
        for lang in ("en", "es"):
            for channel in ("voice", "sms", "all"):
                assert f"| {name} | {lang} | {channel} |" in out
    assert "Targets (per set and language)" in out


def test_the_evaluation_never_lists_a_holdout_request():
    def requests(name: str) -> set[str]:
        text = (ROOT / "bench" / "eval" / name).read_text(encoding="utf-8")
        return {line.split("\t")[0] for line in text.splitlines()[1:]}

    tuning = set().union(*(requests(f"{n}_{lang}.tsv") for n in TUNING
                           for lang in ("en", "es")))
    only_holdout = set().union(*(requests(f"{n}_{lang}.tsv") for n in HOLDOUTS
                                 for lang in ("en", "es"))) - tuning
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "eval_understanding.py"),
                           "--prompts", str(FIXTURE_PROMPTS), "--misses"],
                          capture_output=True, text=True, timeout=120, check=True)
    listed = done.stderr
    assert listed  # the fixture prompts miss plenty of dev requests
    assert not [r for r in only_holdout if f"\t{r}\n" in listed]


@pytest.mark.parametrize("script,expected", [
    ("words_to_topic.py", "Targets (keys <= 90 words"),
    ("redflags.py", "topic questions en"),
])
def test_the_other_benchmarks_print_their_tables(script, expected):
    assert expected in run(script)


def test_the_cross_validation_leaves_each_set_out_of_the_examples(tmp_path):
    import shutil

    from crossval import without

    from voiceline.catalog import load_catalog

    shutil.copytree(FIXTURE_PROMPTS, tmp_path / "prompts")
    (tmp_path / "prompts" / "en" / "examples.toml").write_text(
        'cost = ["wat wud it run me", "Pricey?"]\nnone = ["parking?"]\n', encoding="utf-8")
    catalog = load_catalog(tmp_path / "prompts")
    trial = without(catalog, "en", {"pricey", "parking"}, "trial")
    assert dict(trial.languages["en"].examples) == {"cost": ("wat wud it run me",), "none": ()}
    assert trial.version != catalog.version  # its readers are built afresh
    assert trial.languages["es"] is catalog.languages["es"]
    bare = without(catalog, "en", None, "bare")
    assert not any(bare.languages["en"].examples.values())
    out = run("crossval.py", "--sets", "calib14")
    assert "| calib14 | en | 310 |" in out and "| all | es |" in out
