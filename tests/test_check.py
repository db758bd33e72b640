"""`voiceline check`: every problem at once, with file, line and fix; exit 0 only without
errors; warnings (reading level, speaking time, long texts) never block; --json agrees."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from voiceline.checks import read_checked
from voiceline.checks.content import MENU_SECONDS, SAY_MAX_CHARS, SPOKEN_SECONDS
from voiceline.cli import cli
from voiceline.text import readability

from .conftest import FIXTURE_PROMPTS

NO_SETTINGS = {name: None for name in os.environ if name.startswith(("TWILIO_", "VOICELINE_",
                                                                      "DATABASE_"))}


@pytest.fixture
def prompts(tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def value_line(path: Path, key: str, section: str | None = None) -> str:
    """The whole `key = "..."` line (a one-line text) in ``path``, after [section]."""
    text = path.read_text(encoding="utf-8")
    start = section_start(text, section) if section else 0
    return re.search(rf'(?m)^{key} = ".*"$', text[start:]).group(0)


def section_start(text: str, section: str) -> int:
    return re.search(rf"(?m)^\[{section}\]", text).start()


def set_long_text(path: Path, section: str, key: str, value: str) -> None:
    """Replace the (triple-quoted) ``key`` of [section] by ``value``."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f"{key} = ", section_start(text, section))
    end = text.index('"""', text.index('"""', start) + 3) + 3
    path.write_text(text[:start] + f'{key} = """\n{value}\n"""' + text[end:], encoding="utf-8")


def run_check(*args: str):
    result = CliRunner().invoke(cli, ["check", *map(str, args)], env=NO_SETTINGS)
    return result.exit_code, result.output


def findings_of(folder: Path) -> list[dict]:
    code, output = run_check(folder, "--json")
    report = json.loads(output)
    assert report["ok"] == (code == 0) == (report["errors"] == 0)
    return report["findings"]


def the_line(folder: Path, finding: dict) -> str:
    path = folder.parent / finding["file"]
    return path.read_text(encoding="utf-8").splitlines()[finding["line"] - 1]


# ------------------------------------------------------------------------ the shipped files

def test_check_needs_no_settings_at_all(prompts):
    """It only reads files: no Twilio token, database or anything else in the environment."""
    voiceline = Path(sys.executable).parent / "voiceline"
    done = subprocess.run([str(voiceline), "check", "--json", str(prompts)],
                          env={"PATH": os.environ.get("PATH", "")}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["errors"] == 0


def test_json_gives_the_same_findings_as_the_text(prompts):
    _curly_quote(prompts)
    code, text = run_check(prompts)
    findings = findings_of(prompts)
    assert code == 1
    assert {f["severity"] for f in findings} == {"error", "warning"}
    for finding in findings:
        place = finding["file"] + (f":{finding['line']}" if finding["line"] else "")
        assert place + (f"  [{finding['where']}]" if finding["where"] else "") in text
        assert finding["message"] in text and finding["fix"] in text
    assert f"{sum(f['severity'] == 'error' for f in findings)} error(s)" in text


def test_a_missing_folder_is_one_sentence_and_a_failure(tmp_path):
    code, output = run_check(tmp_path / "nowhere")
    assert code == 2 and "there is no folder" in output and "Traceback" not in output


# ------------------------------------------------------------------------------ errors

def _syntax(p):
    edit(p / "en" / "line.toml", 'goodbye = "', "goodbye = ")


def _unknown_key(p):
    edit(p / "es" / "line.toml", "physician =", "physicain =")


def _topic_missing(p):
    path = p / "es" / "topics.toml"
    path.write_text(re.sub(r"(?ms)^\[cost\].*?(?=^\[)", "", path.read_text("utf-8")), "utf-8")


def _duplicate_key(p):
    edit(p / "flow.toml", '{ key = 3, menu = "safety" }', '{ key = 2, menu = "safety" }')


def _gap(p):
    edit(p / "flow.toml", '{ key = 2, menu = "results" }', '{ key = 7, menu = "results" }')


def _six_choices(p):
    edit(p / "flow.toml", '{ key = 5, topic = "alternatives" },',
         '{ key = 5, topic = "alternatives" },\n  { key = 6, topic = "cost" },')


def _unreachable(p):
    edit(p / "flow.toml", '  { key = 5, topic = "alternatives" },\n', "")


def _empty_disclaimer(p):
    path = p / "en" / "line.toml"
    edit(path, value_line(path, "disclaimer", "call"), 'disclaimer = ""')


def _empty_text_disclaimer(p):
    path = p / "es" / "line.toml"
    edit(path, value_line(path, "disclaimer", "text"), 'disclaimer = "  "')


def _no_physician(p):
    path = p / "es" / "line.toml"
    edit(path, value_line(path, "physician", "call") + "\n", "")


def _curly_quote(p):
    set_long_text(p / "en" / "topics.toml", "risks", "text", "It\u2019s general info.")


def _accent_outside_gsm(p):
    set_long_text(p / "es" / "topics.toml", "cost", "text", "El costo varía.")


def _sms_too_long(p):
    set_long_text(p / "en" / "topics.toml", "cost", "text", "Costs vary by clinic. " * 25)


def _say_too_long(p):
    set_long_text(p / "en" / "topics.toml", "risks", "spoken", "Talk to your doctor. " * 220)


BROKEN = [
    # (how it is broken, file, key path the finding names ("" for the file), words of it)
    (_syntax, "en/line.toml", "", "format is broken"),
    (_unknown_key, "es/line.toml", "call.physicain", "Unknown key"),
    (_unknown_key, "es/line.toml", "call.physician", "missing"),
    (_topic_missing, "es/topics.toml", "topics.cost", "missing in es"),
    (_duplicate_key, "flow.toml", "menus.main", "used twice"),
    (_gap, "flow.toml", "menus.main", "gap"),
    (_six_choices, "flow.toml", "menus.main", "6 choices"),
    (_unreachable, "flow.toml", "topics", "no menu"),
    (_empty_disclaimer, "en/line.toml", "call.disclaimer", "empty"),
    (_empty_text_disclaimer, "es/line.toml", "text.disclaimer", "empty"),
    (_no_physician, "es/line.toml", "call.physician", "missing"),
    (_curly_quote, "en/topics.toml", "topics.risks.text", "U+2019"),
    (_accent_outside_gsm, "es/topics.toml", "topics.cost.text", "U+00ED"),
    (_sms_too_long, "en/topics.toml", "topics.cost.text", "SMS segments"),
    (_say_too_long, "en/topics.toml", "topics.risks.spoken", str(SAY_MAX_CHARS)),
]


@pytest.mark.parametrize("breaking,file,where,words", BROKEN,
                         ids=[f"{b[0].__name__[1:]}-{b[2] or b[1]}" for b in BROKEN])
def test_each_error_names_file_line_and_fix_and_fails_the_check(prompts, breaking, file,
                                                                where, words):
    breaking(prompts)
    code, _ = run_check(prompts)
    found = [f for f in findings_of(prompts) if f["severity"] == "error"
             and f["file"] == f"prompts/{file}" and f["where"] == where and words in f["message"]]
    assert code == 1
    assert found, f"no error on {file} [{where}] saying {words!r}"
    assert found[0]["line"] or "missing" in words, "the finding names a line"
    assert len(found[0]["fix"].split()) >= 2, "the fix is a sentence"
    if where and "missing" not in words:  # the line shown is the key's (or its section's)
        start = f"[{where}]" if where.startswith("menus.") else where.split(".")[-1]
        assert the_line(prompts, found[0]).lstrip().startswith(start)


@pytest.mark.parametrize("breaking,character,plain", [
    (_curly_quote, "\u2019", "'"), (_accent_outside_gsm, "í", "i")])
def test_a_character_outside_gsm7_is_named_with_its_plain_replacement(prompts, breaking,
                                                                      character, plain):
    breaking(prompts)
    [finding] = [f for f in findings_of(prompts) if f"U+{ord(character):04X}" in f["message"]]
    assert repr(character) in finding["message"] and repr(plain) in finding["fix"]


def test_every_error_is_reported_at_once(prompts):
    _unknown_key(prompts)
    _syntax(prompts)
    _gap(prompts)
    files = {f["file"] for f in findings_of(prompts) if f["severity"] == "error"}
    assert {"prompts/en/line.toml", "prompts/es/line.toml", "prompts/flow.toml"} <= files


def test_a_call_ending_without_disclaimer_and_physician_is_an_error(prompts, monkeypatch):
    """The endings are the engine's, not the files': the check guards them anyway."""
    from voiceline.engine import call as flow

    real = flow.end_call

    def careless(lang, *reason, how="caller"):
        step = real(lang, *reason, how=how)
        return dataclasses.replace(step, say=(*step.say[:-2], step.say[-1]))  # no physician

    monkeypatch.setattr("voiceline.checks.content.end_call", careless)
    errors = [f for f in findings_of(prompts) if f["severity"] == "error"]
    assert any("physician" in f["message"] and f["where"] == "call.disclaimer" for f in errors)


# ---------------------------------------------------------------------------- warnings

def _hard_english(p):
    set_long_text(p / "en" / "topics.toml", "risks", "spoken",
                  "Regenerative interventions necessitate comprehensive individualized "
                  "evaluation, considering contraindications, anticipated physiological "
                  "responses, and institutional protocols regarding administration.")


def _hard_spanish(p):
    set_long_text(p / "es" / "topics.toml", "risks", "spoken",
                  "Las intervenciones regenerativas necesitan una evaluación individualizada "
                  "considerando contraindicaciones, respuestas fisiológicas anticipadas y "
                  "protocolos institucionales relacionados con la administración.")


def _long_topic(p):
    set_long_text(p / "en" / "topics.toml", "recovery", "spoken",
                  "Rest for a day or two after the shot. " * 20)


def _long_main_menu(p):
    path = p / "es" / "line.toml"
    edit(path, value_line(path, "about", "menus"), 'about = "' + "qué es y para quién " * 12
         + '"')


def _misnamed_recording(p):
    (p / "en" / "audio").mkdir()
    (p / "en" / "audio" / "call.welcom.mp3").write_bytes(b"ID3 not really")


def _empty_recording(p):
    (p / "es" / "audio").mkdir()
    (p / "es" / "audio" / "call.goodbye.wav").write_bytes(b"")


def _odd_format(p):
    (p / "en" / "audio").mkdir()
    (p / "en" / "audio" / "topic.risks.m4a").write_bytes(b"\0\0\0 ftypM4A")


def _set_review(path, topic, key, value):
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\n{key} = ", section_start(text, topic)) + 1
    end = text.index("\n", start)
    path.write_text(text[:start] + f"{key} = {value}" + text[end:], encoding="utf-8")


def _reviewer_without_date(p):
    _set_review(p / "es" / "topics.toml", "benefits", "reviewed_by", '"Dra. Ana Ruiz, MD"')


def _date_without_reviewer(p):
    _set_review(p / "es" / "topics.toml", "risks", "reviewed", "2026-11-30")


def _reviewed_in_the_future(p):
    _set_review(p / "en" / "topics.toml", "cost", "reviewed_by", '"Dr. Lee"')
    _set_review(p / "en" / "topics.toml", "cost", "reviewed", "2999-01-01")


def _silence_recording(p):
    (p / "en" / "audio").mkdir()
    (p / "en" / "audio" / "call.no_input.mp3").write_bytes(b"ID3 not really")


def _word_of_two_topics(p):
    edit(p / "en" / "topics.toml", 'words = ["benefit", ',
         'words = ["how does it work", "benefit", ')


def _word_of_a_topic_in_the_other_language(p):
    edit(p / "es" / "topics.toml", 'words = [', 'words = ["benefits", ')


WARNED = [
    (_word_of_two_topics, "prompts/en/topics.toml", "topics.benefits.words",
     "'how does it work' is also in the words of topic 'how_it_works' (en/topics.toml)"),
    (_word_of_a_topic_in_the_other_language, "prompts/es/topics.toml",
     "topics.what_it_is.words", "'benefits' is also in the words of topic 'benefits'"),
    (_hard_english, "prompts/en/topics.toml", "topics.risks.spoken", "Flesch-Kincaid"),
    (_hard_spanish, "prompts/es/topics.toml", "topics.risks.spoken", "Szigriszt-Pazos"),
    (_long_topic, "prompts/en/topics.toml", "topics.recovery.spoken", f"{SPOKEN_SECONDS}"),
    (_long_main_menu, "prompts/es/line.toml", "menus.main", f"limit is {MENU_SECONDS}"),
    (_misnamed_recording, "prompts/en/audio/call.welcom.mp3", "", "No prompt is called"),
    (_empty_recording, "prompts/es/audio/call.goodbye.wav", "", "empty"),
    (_odd_format, "prompts/en/audio/topic.risks.m4a", "", "only .mp3 and .wav"),
    (_reviewer_without_date, "prompts/es/topics.toml", "topics.benefits.reviewed",
     "no review date"),
    (_date_without_reviewer, "prompts/es/topics.toml", "topics.risks.reviewed_by",
     "who reviewed"),
    (_reviewed_in_the_future, "prompts/en/topics.toml", "topics.cost.reviewed", "future"),
    (_silence_recording, "prompts/en/audio/call.no_input.mp3", "", "every silence reprompt"),
]


@pytest.mark.parametrize("making,file,where,words", WARNED,
                         ids=[w[0].__name__[1:] for w in WARNED])
def test_warnings_are_named_but_never_fail_the_check_or_the_load(prompts, making, file, where,
                                                                 words):
    making(prompts)
    code, output = run_check(prompts)
    found = [f for f in findings_of(prompts)
             if f["file"] == file and f["where"] == where and words in f["message"]]
    assert found and all(f["severity"] == "warning" for f in found), output
    assert code == 0
    assert read_checked(prompts)[0] is not None, "the line still loads these files"


def test_a_misnamed_recording_gets_the_name_it_probably_meant(prompts):
    _misnamed_recording(prompts)
    [finding] = [f for f in findings_of(prompts) if f["file"].endswith("call.welcom.mp3")]
    assert "call.welcome.mp3" in finding["fix"]


def test_reading_warnings_name_the_long_words_to_replace(prompts):
    _hard_english(prompts)
    [finding] = [f for f in findings_of(prompts) if f["where"] == "topics.risks.spoken"
                 and "Flesch" in f["message"]]
    assert "regenerative" in finding["fix"] and "longest has" in finding["fix"]


def test_the_report_lists_speaking_times(prompts, catalog):
    _, output = run_check(prompts)
    report = json.loads(run_check(prompts, "--json")[1])["speaking_seconds"]
    assert set(report) == set(catalog.languages)
    for code, lang in catalog.languages.items():
        assert set(report[code]["topics"]) == set(lang.topics)
        assert report[code]["menus"][catalog.flow.main_menu] > 0
        assert f"  {code}: menus {catalog.flow.main_menu} " in output


# ------------------------------------------------------------------------- readability

@pytest.mark.parametrize("word,count", [
    ("the", 1), ("neck", 1), ("table", 2), ("doctor", 2), ("helped", 1), ("wanted", 2),
    ("therapy", 3), ("movement", 2), ("information", 4), ("injection", 3),
    ("regenerative", 5),
])
def test_english_syllables(word, count):
    assert readability.syllables_en(word) == count


@pytest.mark.parametrize("word,count", [
    ("que", 1), ("muy", 1), ("casa", 2), ("cuello", 2), ("día", 2), ("país", 2),
    ("poeta", 3), ("médico", 3), ("guerra", 2), ("tratamiento", 4), ("información", 4),
    ("recuperación", 5),
])
def test_spanish_syllables(word, count):
    assert readability.syllables_es(word) == count


def test_grades_order_plain_and_hard_texts():
    plain = "The shot goes in your neck. It may help. Ask your doctor if it is right for you."
    hard = ("Regenerative interventions necessitate comprehensive individualized evaluation "
            "considering contraindications and anticipated physiological responses.")
    assert readability.flesch_kincaid_grade(plain) < 4 < 12 < readability.flesch_kincaid_grade(
        hard)
    fácil = "La inyección va en el cuello. Puede ayudar. Hable con su médico si es para usted."
    difícil = ("Las intervenciones regenerativas necesitan una evaluación individualizada "
               "considerando contraindicaciones y respuestas fisiológicas anticipadas.")
    assert readability.szigriszt_pazos(fácil) > 80 > 40 > readability.szigriszt_pazos(difícil)


def test_too_short_a_text_gets_no_grade():
    assert readability.flesch_kincaid_grade("Main menu.") is None
    assert readability.szigriszt_pazos("Menú principal.") is None


def test_speaking_time_is_words_at_the_documented_pace():
    words = " ".join(["word"] * int(readability.WORDS_PER_MINUTE))
    assert readability.speaking_seconds(words) == pytest.approx(60)
    assert readability.speaking_seconds("call 9 1 1") == pytest.approx(4 * 60 / 135)
