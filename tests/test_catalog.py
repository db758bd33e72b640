"""Prompt files: the shipped ones load; broken ones are refused with file, line and fix."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from voiceline.checks import load_checked, read_checked
from voiceline.errors import CatalogError

from .conftest import FIXTURE_PROMPTS


@pytest.fixture
def prompts(tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    return folder


def edit(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def errors_of(folder):
    catalog, findings = read_checked(folder)
    assert catalog is None
    return [f for f in findings if f.severity == "error"]


def test_the_shipped_prompts_load_without_errors(catalog):
    assert set(catalog.languages) == {"en", "es"}
    assert len(catalog.flow.topics) == 10
    for lang in catalog.languages.values():
        assert set(lang.topics) == set(catalog.flow.topics)


def test_every_topic_names_a_heading_of_the_guide_shipped_beside_it(catalog):
    assert catalog.guide is not None and catalog.guide.file.endswith("guide.md")
    for lang in catalog.languages.values():
        for topic in lang.topics.values():
            assert topic.source in catalog.guide.sections, (lang.code, topic.id)
            assert catalog.guide.sections[topic.source].strip()


def test_a_source_that_is_no_heading_of_the_guide_is_an_error_with_the_closest_one(prompts):
    edit(prompts / "es" / "topics.toml", 'source = "How Much Does Stem Cell Therapy for Neck '
         'Pain Cost?"', 'source = "How Much Does It Cost"')
    [error] = [f for f in errors_of(prompts) if f.where == "topics.cost.source"]
    assert error.file.endswith("es/topics.toml") and "not a heading" in error.message
    assert 'source = "How Much Does Stem Cell Therapy for Neck Pain Cost?"' in error.fix
    lines = (prompts / "es" / "topics.toml").read_text().splitlines()
    assert lines[error.line - 1].startswith("source")


@pytest.mark.parametrize("change,expected", [
    (lambda flow: flow.replace('guide = "guide.md"\n', ""), "does not name the guide"),
    (lambda flow: flow.replace('guide = "guide.md"', 'guide = "gide.md"'), "cannot be read"),
])
def test_flow_must_name_a_guide_that_exists(prompts, change, expected):
    path = prompts / "flow.toml"
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    found = errors_of(prompts)
    assert any(f.where == "guide" and expected in f.message and f.file.endswith("flow.toml")
               for f in found), found


def test_a_guide_without_headings_is_an_error(prompts):
    path = prompts / "guide.md"
    path.write_text(path.read_text(encoding="utf-8").replace("# ", ""), encoding="utf-8")
    assert any("no headings" in f.message for f in errors_of(prompts))


def test_a_syntax_error_names_the_file_and_line(prompts):
    edit(prompts / "en" / "line.toml", 'goodbye = "', 'goodbye = ')
    [error] = errors_of(prompts)
    assert error.file.endswith("en/line.toml")
    lines = (prompts / "en" / "line.toml").read_text().splitlines()
    assert lines[error.line - 1].lstrip().startswith("goodbye") or \
        lines[error.line - 2].lstrip().startswith("goodbye")
    assert "quotes" in error.fix


def test_a_missing_key_names_file_line_key_and_fix(prompts):
    edit(prompts / "es" / "line.toml", "physician =", "physicain =")
    found = errors_of(prompts)
    missing = [f for f in found if f.where == "call.physician"]
    unknown = [f for f in found if f.where == "call.physicain"]
    assert missing and unknown
    assert missing[0].file.endswith("es/line.toml") and "Add physician" in missing[0].fix
    text = (prompts / "es" / "line.toml").read_text().splitlines()
    assert text[unknown[0].line - 1].lstrip().startswith("physicain")


def test_a_topic_missing_in_one_language_is_named(prompts):
    path = prompts / "es" / "topics.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?ms)^\[cost\].*?(?=^\[)", "", text), encoding="utf-8")
    found = errors_of(prompts)
    assert any(f.where == "topics.cost" and "missing in es" in f.message for f in found)


def test_a_placeholder_typo_is_an_error_not_a_crash_later(prompts):
    edit(prompts / "en" / "line.toml", "{label}", "{lable}")
    found = errors_of(prompts)
    assert any("{lable}" in f.message and f.line for f in found)


def test_a_curly_quote_in_a_text_is_named_with_its_plain_replacement(prompts):
    path = prompts / "en" / "topics.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("text = ", text.index("[risks]"))
    path.write_text(text[:start + 10] + "\u2019" + text[start + 10:], encoding="utf-8")
    found = errors_of(prompts)
    curly = [f for f in found if f.where == "topics.risks.text"]
    assert curly and "U+2019" in curly[0].message and "\"'\"" in curly[0].fix
    assert curly[0].line and "text" in path.read_text().splitlines()[curly[0].line - 1]


@pytest.mark.parametrize("old,new,expected", [
    ('{ key = 2, menu = "results" }', '{ key = 7, menu = "results" }', "gap"),
    ('{ key = 3, menu = "safety" }', '{ key = 2, menu = "safety" }', "used twice"),
])
def test_menu_numbers_with_gaps_or_duplicates_are_errors(prompts, old, new, expected):
    edit(prompts / "flow.toml", old, new)
    found = errors_of(prompts)
    assert any(expected in f.message and f.file.endswith("flow.toml") and f.line
               for f in found)


def test_a_menu_with_six_choices_is_refused(prompts):
    edit(prompts / "flow.toml", '{ key = 5, topic = "alternatives" },',
         '{ key = 5, topic = "alternatives" },\n  { key = 6, topic = "cost" },')
    found = errors_of(prompts)
    assert any("six" in f.message or "6 choices" in f.message for f in found)


def test_a_topic_no_menu_reaches_is_an_error(prompts):
    edit(prompts / "flow.toml", '  { key = 5, topic = "alternatives" },\n', "")
    found = errors_of(prompts)
    assert any("alternatives" in f.message and "no menu" in f.message for f in found)


def test_load_catalog_raises_with_every_error_at_once(prompts):
    edit(prompts / "en" / "line.toml", "physician =", "physicain =")
    edit(prompts / "es" / "line.toml", "goodbye =", "goodby =")
    with pytest.raises(CatalogError) as raised:
        load_checked(prompts)
    assert "en/line.toml" in str(raised.value) and "es/line.toml" in str(raised.value)


def test_the_operators_guide_names_every_key_of_the_prompt_files():
    """prompts/README.md is how operators learn the files: no key may go unexplained."""
    from voiceline.catalog import CALL_KEYS, COMMAND_KEYS, LANGUAGE_KEYS, TEXT_KEYS, TOPIC_KEYS
    from voiceline.catalog.model import QUESTION_KEYS, RED_FLAG_KEYS, RED_FLAG_KINDS

    guide = (Path(__file__).resolve().parent.parent / "prompts" / "README.md").read_text()
    missing = [key for key in (*LANGUAGE_KEYS, *CALL_KEYS, *COMMAND_KEYS, *TEXT_KEYS,
                               *TOPIC_KEYS, *RED_FLAG_KEYS, *QUESTION_KEYS, "guide")
               if f"`{key}`" not in guide]
    missing += [section for section in (*RED_FLAG_KINDS, "questions")
                if f"`[{section}]`" not in guide]
    assert missing == []
