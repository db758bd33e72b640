"""Placeholders are a closed set per text: a format spec, an unknown name, an attribute or
an index is an error naming file, line and the allowed placeholders; `voiceline check`
reports it (never a traceback), a live reload keeps the last good words, and whatever the
files hold, the check finishes. Menus and topics too large for Twilio are errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceline.checks import read_checked
from voiceline.checks.content import RESPONSE_MAX_CHARS
from voiceline.cli import cli
from voiceline.testing.simulator import Line, simulator_app

from .conftest import FIXTURE_PROMPTS

OPTION = 'option = "For {label}, press {key}."'


@pytest.fixture
def prompts(tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    return folder


def set_option(folder: Path, written: str) -> int:
    """Write call.option in English as ``written``; return its line number."""
    path = folder / "en" / "line.toml"
    text = path.read_text(encoding="utf-8")
    assert OPTION in text
    path.write_text(text.replace(OPTION, f'option = "{written}"', 1), encoding="utf-8")
    return text[:text.index(OPTION)].count("\n") + 1


@pytest.mark.parametrize("written", [
    "For {label}, press {key:d}.",          # the format spec that crashed check
    "For {label}, press {key:>70000}.",     # the one that made 350 kB menus
    "For {label}, press {key!r}.",
    "For {label.upper}, press {key}.",
    "For {label[0]}, press {key}.",
    "For {0}, press {key}.",
    "For {label}, press {keys}.",
])
def test_anything_but_the_allowed_placeholders_is_an_error_with_file_line_and_allowed(
        prompts, written):
    line = set_option(prompts, written)
    catalog, findings = read_checked(prompts)
    assert catalog is None
    errors = [f for f in findings if f.severity == "error" and f.where == "call.option"]
    assert errors, findings
    assert errors[0].file.endswith("en/line.toml") and errors[0].line == line
    assert "{label}" in errors[0].message and "{key}" in errors[0].message


def test_check_reports_a_format_spec_without_a_traceback(prompts):
    set_option(prompts, "For {label}, press {key:d}.")
    result = CliRunner().invoke(cli, ["check", str(prompts)])
    assert result.exit_code == 1 and result.exception is None or \
        isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "en/line.toml" in result.output and "{key:d}" in result.output


def test_a_live_edit_with_a_format_spec_keeps_the_last_good_words(prompts):
    line = Line(simulator_app(prompts))  # reload on every request
    before = line.dial()
    set_option(prompts, "For {label}, press {key:>70000}.")
    for _ in range(3):
        heard = line.dial()
        assert heard == before and len(heard) < RESPONSE_MAX_CHARS
    health = line.app.test_client().get("/healthz")
    assert health.status_code == 200 and health.get_json()["prompts_stale"] is True


def test_a_menu_too_large_for_twilio_is_an_error(prompts):
    set_option(prompts, "For {label}, press {key}. " + "Listen well. " * 900)
    _, findings = read_checked(prompts)
    assert any(f.severity == "error" and "characters" in f.message
               and f"{RESPONSE_MAX_CHARS:,}" in f.message for f in findings)


# --------------------------------------------------------------------- check never crashes

FILES = ["flow.toml", "en/line.toml", "en/topics.toml", "es/line.toml", "es/topics.toml"]
ODD = st.sampled_from(["{", "}", "{key:d}", "{label!s}", "{0}", "{{", "}}", "{a.b}", "{k[0]}",
                       '"', '"""', "[", "]", "=", "\n", "\x00", "\u2019", "é", "٣", "\ud800"])


@st.composite
def damaged(draw):
    """One prompt file truncated, garbled, or with odd placeholders spliced in."""
    name = draw(st.sampled_from(FILES))
    original = (FIXTURE_PROMPTS / name).read_text(encoding="utf-8")
    how = draw(st.sampled_from(["truncate", "splice", "garble", "bytes"]))
    at = draw(st.integers(0, len(original)))
    if how == "truncate":
        return name, original[:at].encode("utf-8", "surrogatepass")
    if how == "splice":
        pieces = draw(st.lists(ODD, min_size=1, max_size=4))
        text = original[:at] + "".join(pieces) + original[at:]
    else:
        text = original[:at] + draw(st.text(max_size=40)) + original[at + 20:]
    data = text.encode("utf-8", "surrogatepass")
    if how == "bytes":
        data = data[:at] + draw(st.binary(max_size=16)) + data[at:]
    return name, data


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(damage=st.lists(damaged(), min_size=1, max_size=2))
def test_check_finishes_whatever_the_files_hold(tmp_path_factory, damage):
    folder = tmp_path_factory.mktemp("fuzz") / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    for name, data in damage:
        (folder / name).write_bytes(data)
    catalog, findings = read_checked(folder)  # must not raise
    assert not any("could not finish" in f.message for f in findings), findings
    for finding in findings:
        assert finding.file and finding.message and finding.fix
    if catalog is not None:  # served: every menu renders without error
        lang = catalog.language(None)
        assert all(lang.option(t.label, "1") for t in lang.topics.values())


def test_the_line_starts_with_a_format_spec_in_its_files_and_says_where(prompts, config):
    """gunicorn would not boot with {key:d}: now the app starts, answers with its built-in
    apology and names the file and line at /healthz."""
    from voiceline import create_app

    line = set_option(prompts, "For {label}, press {key:d}.")
    app = create_app({**config, "VOICELINE_PROMPTS_DIR": str(prompts)})
    health = app.test_client().get("/healthz")
    assert health.status_code == 503
    problems = health.get_json()["prompt_problems"]
    assert any(p["file"].endswith("en/line.toml") and p["line"] == line for p in problems)
