"""Each command asks only for what it uses: serving needs the serving settings, nothing
else does; `.env` files are read; `voiceline init` makes a prompts folder to edit; a folder
that is not one is refused with what to set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from voiceline.catalog import read_catalog
from voiceline.cli import cli, deploy
from voiceline.settings import DEFAULT_PROMPTS, SETTINGS, env_example

from .conftest import FIXTURE_PROMPTS

NOTHING_SET = {s.name: None for s in SETTINGS}


# What serving needs outside development mode: the token, the hash key and the address.
SERVING = {"TWILIO_AUTH_TOKEN": "t", "VOICELINE_HASH_SECRET": "serve-test-hash-secret",
           "PUBLIC_BASE_URL": "https://line.example.org"}

def voiceline(*args: str, env: dict | None = None, **kwargs):
    return CliRunner().invoke(cli, list(args), env={**NOTHING_SET, **(env or {})},
                              prog_name="voiceline", **kwargs)


@pytest.mark.parametrize("args", [
    ["--help"], ["check", "--help"], ["simulate", "--help"], ["db", "--help"],
    ["events", "--help"], ["twilio", "configure", "--help"], ["twilio", "keywords", "--help"],
    ["init", "--help"],
    ["serve", "--help"], ["settings"],
])
def test_commands_and_their_help_need_no_settings(args):
    result = voiceline(*args)
    assert result.exit_code == 0, result.output
    assert "TWILIO_AUTH_TOKEN is not set" not in result.output


def test_check_and_simulate_run_with_no_settings_at_all():
    assert voiceline("check", str(FIXTURE_PROMPTS)).exit_code == 0
    simulated = voiceline("simulate", "--prompts", str(FIXTURE_PROMPTS), "text",
                          input="help\n")
    assert simulated.exit_code == 0 and "> " in simulated.output


def test_serve_refuses_without_the_auth_token_and_says_what_to_set(monkeypatch):
    monkeypatch.setattr(deploy.os, "execve", lambda *a: pytest.fail("gunicorn was started"))
    result = voiceline("serve")
    assert result.exit_code == 2
    assert "TWILIO_AUTH_TOKEN is not set" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("folder", ["missing", "empty", "file-less"])
def test_serve_refuses_a_prompts_folder_that_is_not_one(monkeypatch, tmp_path, folder):
    monkeypatch.setattr(deploy.os, "execve", lambda *a: pytest.fail("gunicorn was started"))
    root = tmp_path / folder
    if folder != "missing":
        root.mkdir()
    if folder == "file-less":
        (root / "en").mkdir()  # a language folder, but no flow.toml
    result = voiceline("serve", env={**SERVING, "VOICELINE_PROMPTS_DIR": str(root)})
    assert result.exit_code == 2
    assert f"VOICELINE_PROMPTS_DIR={root}" in result.output
    assert "unset it" in result.output and "voiceline init" in result.output


def test_serve_runs_gunicorn_with_the_packaged_settings(monkeypatch):
    started = []
    monkeypatch.setattr(deploy.os, "execve", lambda path, argv, env: started.append((argv, env)))
    result = voiceline("serve", "--bind", "127.0.0.1:9", env={
        **SERVING, "VOICELINE_PROMPTS_DIR": str(FIXTURE_PROMPTS)})
    assert result.exit_code == 0, result.output
    ((argv, env),) = started
    assert argv[1:5] == ["-m", "gunicorn", "-c", "python:voiceline.web.gunicorn_conf"]
    assert argv[-3:] == ["--bind", "127.0.0.1:9", "voiceline:create_app()"]
    # Two malloc arenas: each threaded worker about 4 MB smaller (an operator's own wins).
    assert env["MALLOC_ARENA_MAX"] == "2" and env["VOICELINE_PROMPTS_DIR"] == str(FIXTURE_PROMPTS)
    assert deploy.serving_environment({"MALLOC_ARENA_MAX": "4"})["MALLOC_ARENA_MAX"] == "4"


def test_the_loader_names_a_wrong_folder_and_what_to_set(tmp_path):
    catalog, findings = read_catalog(tmp_path)
    assert catalog is None
    (finding,) = findings
    assert "not a prompts folder" in finding.message and "flow.toml" in finding.message
    assert "VOICELINE_PROMPTS_DIR" in finding.fix
    assert "copy it from another language" not in finding.fix


def test_init_copies_the_shipped_words_to_edit(tmp_path):
    target = tmp_path / "my-prompts"
    result = voiceline("init", str(target))
    assert result.exit_code == 0, result.output
    assert f"VOICELINE_PROMPTS_DIR={target}" in result.output
    shipped = sorted(p.relative_to(DEFAULT_PROMPTS) for p in DEFAULT_PROMPTS.rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts)
    assert sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file()) == shipped
    assert voiceline("check", str(target)).exit_code == 0


def test_init_never_overwrites_a_folder_in_use(tmp_path):
    (tmp_path / "flow.toml").write_text("# mine\n")
    result = voiceline("init", str(tmp_path))
    assert result.exit_code == 2 and "not empty" in result.output
    assert (tmp_path / "flow.toml").read_text() == "# mine\n"


def test_a_dotenv_file_in_the_working_folder_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_SKIP_DOTENV")
    monkeypatch.chdir(tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    Path(".env").write_text(f"VOICELINE_PROMPTS_DIR={broken}\n")
    result = voiceline("check")  # no folder given: the one .env names
    assert result.exit_code == 1 and str(broken) in result.output


def test_an_env_file_option_is_read(tmp_path, monkeypatch):
    env_file = tmp_path / "line.env"
    env_file.write_text(f"VOICELINE_PROMPTS_DIR={FIXTURE_PROMPTS}\n")
    result = voiceline("-e", str(env_file), "check")
    assert result.exit_code == 0 and str(FIXTURE_PROMPTS) in result.output


def test_settings_lists_every_setting_and_never_a_value():
    result = voiceline("settings", env={"TWILIO_AUTH_TOKEN": "secret-value-here"})
    assert all(s.name in result.output for s in SETTINGS)
    assert "secret-value-here" not in result.output and "[set]" in result.output
    assert voiceline("settings", "--env-example").output == env_example()


def test_twilio_keywords_prints_the_lines_replies_to_paste_into_advanced_opt_out(catalog):
    result = voiceline("twilio", "keywords", "--prompts", str(FIXTURE_PROMPTS))
    assert result.exit_code == 0, result.output
    for code, lang in catalog.languages.items():
        assert f"--- {code}: HELP response" in result.output
        assert f"--- {code}: Opt-in (START) response" in result.output
        assert lang.text["resubscribed"] in result.output
        assert result.output.count(lang.text["disclaimer"]) >= 2


def test_twilio_keywords_refuses_prompt_files_with_errors(tmp_path):
    result = voiceline("twilio", "keywords", "--prompts", str(tmp_path))
    assert result.exit_code == 1 and "voiceline check" in result.output


def test_check_names_the_setting_when_it_points_nowhere(tmp_path):
    result = voiceline("check", env={"VOICELINE_PROMPTS_DIR": str(tmp_path / "gone")})
    assert result.exit_code == 2 and "VOICELINE_PROMPTS_DIR names it" in result.output



def test_serve_starts_gunicorn_without_loading_the_database_or_the_web_app():
    # The Procfile's web process: everything it loads delays gunicorn on every start.
    probe = ("import sys, click; from voiceline.cli import cli; "
             "cli.get_command(click.Context(cli), 'serve'); "
             "print(sorted(m for m in ('sqlalchemy', 'voiceline.web.app', 'twilio') "
             "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, check=True).stdout.strip()
    assert out == "[]"


def test_every_command_a_module_registers_is_listed_and_found_lazily():
    # A command added to a module but not to COMMAND_MODULES would silently vanish.
    import importlib

    import click

    from voiceline.cli import COMMAND_MODULES

    for module in set(COMMAND_MODULES.values()):
        group = click.Group()
        importlib.import_module(f"voiceline.cli.{module}").init_cli(group)
        assert {name: module for name in group.commands} == {
            name: m for name, m in COMMAND_MODULES.items() if m == module}
    listed = voiceline("--help").output
    for name in COMMAND_MODULES:
        assert f"  {name} " in listed, name
