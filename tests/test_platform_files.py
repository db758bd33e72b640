"""The files integrators deploy with, each tested as far as this machine allows.

requirements.txt, .env.example, .python-version, app.json, render.yaml and compose.yaml
are read and checked against the code they describe. The Dockerfile (there is no Docker
engine here) is played step by step: every COPY from this checkout, every RUN's pip
command in a fresh virtual environment, its ENV, its WORKDIR as an empty folder and its
CMD, then its HEALTHCHECK, and a call to the line it started answered with the shipped
words. That run is also the proof that the built wheel alone runs the line.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from voiceline.checks import load_checked
from voiceline.settings import REPO_PROMPTS, SETTINGS, env_example
from voiceline.testing import HttpTransport, SimulatedCall, TwilioSigner
from voiceline.testing.processes import start_group, stop_group

from .conftest import RUN_MARK

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETTING_NAMES = {s.name for s in SETTINGS}
SECRET_SETTINGS = {"TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET",
                   "VOICELINE_HASH_SECRET", "VOICELINE_METRICS_TOKEN"}
SECRET_WORDS = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY", re.I)
TOKEN = "docker-test-token"


def procfile(kind: str) -> str:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return next(line.split(":", 1)[1].strip() for line in lines if line.startswith(f"{kind}:"))


# ---------------------------------------------------------------- files kept in step

def test_requirements_txt_lists_pyprojects_dependencies_then_the_line_itself():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    wanted = [str(Requirement(d)) for d in PYPROJECT["project"]["dependencies"]]
    assert [str(Requirement(x)) for x in lines[:-1]] == wanted, \
        "requirements.txt is out of step with pyproject.toml: run ./scripts/regenerate"
    assert lines[-1] == ".", "requirements.txt must install the line itself (`.`) last"


def test_env_example_is_the_settings_table():
    written = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert written == env_example(), ".env.example is out of step: run ./scripts/regenerate"
    assert set(re.findall(r"^# ([A-Z][A-Z0-9_]+)=", written, re.M)) >= SETTING_NAMES


def test_python_version_is_one_the_package_supports_and_the_image_uses():
    version = (ROOT / ".python-version").read_text().strip()
    assert re.fullmatch(r"3\.\d+", version)
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains(f"{version}.0")
    for stage in dockerfile_stages():
        assert stage.base == f"python:{version}-slim"


def test_the_license_is_mit_in_the_file_and_the_metadata():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert PYPROJECT["project"]["license"] == {"text": "MIT"}


def test_no_extra_repeats_a_main_dependency():
    main = {Requirement(d).name for d in PYPROJECT["project"]["dependencies"]}
    for extra, deps in PYPROJECT["project"]["optional-dependencies"].items():
        repeated = main & {Requirement(d).name for d in deps}
        assert not repeated, f"the {extra} extra repeats main dependencies: {repeated}"


# ---------------------------------------------------------------- Procfile platforms

def test_app_json_makes_a_heroku_app_with_postgres_and_a_generated_hash_secret():
    app = json.loads((ROOT / "app.json").read_text())
    assert any(a == "heroku-postgresql" or a.get("plan", "").startswith("heroku-postgresql")
               for a in app["addons"])
    env = app["env"]
    assert set(env) <= SETTING_NAMES, f"app.json names unknown settings: {set(env) - SETTING_NAMES}"
    assert env["VOICELINE_HASH_SECRET"] == {**env["VOICELINE_HASH_SECRET"],
                                            "generator": "secret"}
    assert env["TWILIO_AUTH_TOKEN"]["required"] is True and "value" not in env["TWILIO_AUTH_TOKEN"]
    assert not any("value" in env[name] for name in SECRET_SETTINGS & set(env))
    # The release phase is the Procfile's; the first deploy migrates too.
    assert procfile("release") == "voiceline db upgrade"
    assert app["scripts"]["postdeploy"] == procfile("release")
    assert app["success_url"] == "/healthz"


def test_render_yaml_runs_the_procfiles_commands_with_its_own_database():
    blueprint = yaml.safe_load((ROOT / "render.yaml").read_text())
    (web,) = [s for s in blueprint["services"] if s["type"] == "web"]
    assert web["startCommand"] == procfile("web")
    assert web["preDeployCommand"] == procfile("release")
    assert web["healthCheckPath"] == "/healthz"
    assert "requirements.txt" in web["buildCommand"]
    env = {v["key"]: v for v in web["envVars"]}
    assert set(env) <= SETTING_NAMES
    databases = {d["name"] for d in blueprint["databases"]}
    assert env["DATABASE_URL"]["fromDatabase"]["name"] in databases
    assert env["VOICELINE_HASH_SECRET"]["generateValue"] is True
    assert not any("value" in env[name] for name in SECRET_SETTINGS & set(env))


# ---------------------------------------------------------------------------- Docker

@dataclass
class Stage:
    base: str
    name: str | None
    steps: list[tuple[str, str]] = field(default_factory=list)  # (instruction, arguments)


def dockerfile_stages() -> list[Stage]:
    """The Dockerfile's stages and their instructions (comments dropped, lines joined)."""
    text = re.sub(r"\\\n", " ", "\n".join(
        line for line in (ROOT / "Dockerfile").read_text().splitlines()
        if not line.lstrip().startswith("#")))
    stages: list[Stage] = []
    for line in filter(str.strip, text.splitlines()):
        instruction, _, arguments = line.strip().partition(" ")
        instruction, arguments = instruction.upper(), " ".join(arguments.split())
        if instruction == "FROM":
            base, _, name = arguments.partition(" AS ")
            stages.append(Stage(base, name or None))
        else:
            stages[-1].steps.append((instruction, arguments))
    return stages


def env_of(arguments: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in shlex.split(arguments))


def test_the_image_is_slim_and_runs_as_a_user_with_a_healthcheck_and_no_secrets():
    stages = dockerfile_stages()
    assert all(stage.base.endswith("-slim") for stage in stages)
    final = stages[-1]
    instructions = [i for i, _ in final.steps]
    users = [a for i, a in final.steps if i == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert instructions.index("USER") < instructions.index("CMD")
    (healthcheck,) = [a for i, a in final.steps if i == "HEALTHCHECK"]
    assert "/healthz" in healthcheck
    (cmd,) = [a for i, a in final.steps if i == "CMD"]
    assert json.loads(cmd) == shlex.split(procfile("web")), "the image serves as the Procfile"
    for stage in stages:
        for instruction, arguments in stage.steps:
            if instruction in {"ENV", "ARG"}:
                names = set(env_of(arguments)) if "=" in arguments else {arguments}
                assert not {n for n in names if SECRET_WORDS.search(n)}, arguments
            if instruction == "COPY":
                assert ".env" not in arguments


def test_every_copy_source_exists_and_the_build_context_leaves_secrets_out():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ".env" in ignored and ".venv" in ignored and ".git" in ignored
    for stage in dockerfile_stages():
        for instruction, arguments in stage.steps:
            if instruction == "COPY" and not arguments.startswith("--from"):
                *sources, _ = arguments.split()
                for source in sources:
                    assert (ROOT / source).exists(), f"COPY {source}: no such file"
                    assert source not in ignored


def test_compose_runs_the_line_on_postgres_after_migrating():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    (database,) = [n for n, s in services.items() if str(s.get("image", "")).startswith(
        "postgres")]
    assert "healthcheck" in services[database]
    line = services["line"]
    assert line["build"] == "." and line["ports"] == ["8000:8000"]
    url = line["environment"]["DATABASE_URL"]
    assert url.startswith("postgresql://") and f"@{database}:5432/" in url
    assert line["depends_on"][database]["condition"] == "service_healthy"
    migrate = next(n for n, s in services.items() if s.get("command") == ["voiceline", "db",
                                                                          "upgrade"])
    assert line["depends_on"][migrate]["condition"] == "service_completed_successfully"
    for service in services.values():  # secrets come from .env, never from this file
        for name, value in (service.get("environment") or {}).items():
            if SECRET_WORDS.search(name) or name in SECRET_SETTINGS:
                assert str(value).startswith("${"), f"{name} is written in compose.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Build:
    """The Dockerfile played on this machine: its absolute paths become folders under
    ``root``; the build stage's pip is this venv's, the final stage's a fresh venv's."""

    def __init__(self, root: Path):
        self.root = root
        self.venv = root / "venv"  # the final image's Python
        self.env: dict[str, str] = {}
        self.user: str | None = None
        self.workdir = root
        self.cmd: list[str] = []
        self.healthcheck: list[str] = []
        self.ran: list[str] = []

    def path(self, text: str) -> str:
        """Absolute image paths (/src, /wheels, sqlite:////data/...) as folders under root."""
        return re.sub(r"(?:(?<=^)|(?<=[\s=])|(?<=sqlite:///))(/[\w.-]+(?:/[\w.-]+)*)",
                      lambda m: str(self.root / "image" / m.group(1)[1:]), text)

    def play(self, stages: list[Stage]) -> None:
        for number, stage in enumerate(stages):
            final = number == len(stages) - 1
            if final:
                subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
            bin_dir = self.venv / "bin" if final else Path(sys.executable).parent
            for instruction, arguments in stage.steps:
                self.step(instruction, arguments, bin_dir)

    def step(self, instruction: str, arguments: str, bin_dir: Path) -> None:
        if instruction == "WORKDIR":
            self.workdir = Path(self.path(arguments))
            self.workdir.mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            self.copy(arguments)
        elif instruction == "RUN":
            self.run(arguments, bin_dir)
        elif instruction == "ENV":
            self.env.update({k: self.path(v) for k, v in env_of(arguments).items()})
        elif instruction == "USER":
            self.user = arguments
        elif instruction == "VOLUME":
            Path(self.path(arguments)).mkdir(parents=True, exist_ok=True)
        elif instruction == "CMD":
            self.cmd = json.loads(arguments)
        elif instruction == "HEALTHCHECK":
            self.healthcheck = json.loads(arguments.split(" CMD ", 1)[1])
        else:
            assert instruction == "EXPOSE", f"the test cannot play {instruction} yet"

    def copy(self, arguments: str) -> None:
        *sources, dest = arguments.split()
        if sources[0].startswith("--from="):  # the stages share this machine's folders
            assert Path(self.path(sources[1])) == Path(self.path(dest))
            return
        target = Path(self.path(dest)) if dest.startswith("/") else self.workdir / dest
        for source in sources:
            origin = ROOT / source
            if origin.is_dir():
                shutil.copytree(origin, target, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target / origin.name)

    def run(self, arguments: str, bin_dir: Path) -> None:
        for part in arguments.split("&&"):
            words = shlex.split(part)
            if words[0] in {"useradd", "chown", "groupadd"}:  # users exist only in images
                continue
            program = str(bin_dir / words[0]) if words[0] in {"pip", "python"} else words[0]
            command = [program, *(self.path(w) for w in words[1:])]
            done = subprocess.run(command, cwd=self.workdir, capture_output=True, text=True,
                                  env={**os.environ, **self.env})
            assert done.returncode == 0, \
                f"RUN {part} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
            self.ran.append(" ".join(words))


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """The Dockerfile's build played here, then its CMD started like `docker run` would:
    only the image's ENV, the port and the settings an operator must give (the auth token,
    the hash key and the address), from its empty WORKDIR."""
    root = tmp_path_factory.mktemp("docker")
    build = Build(root)
    build.play(dockerfile_stages())
    port = free_port()
    environ = {"PATH": f"{build.venv / 'bin'}:/usr/bin:/bin", "HOME": str(build.workdir),
               **build.env, "PORT": str(port), "TWILIO_AUTH_TOKEN": TOKEN,
               # what an operator must hand `docker run` too (the image bakes no secret in)
               "VOICELINE_HASH_SECRET": "image-test-hash-secret",
               "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    assert not any(build.workdir.iterdir()), "the WORKDIR must start empty"
    log_path = root / "serve.log"
    with log_path.open("wb") as log:
        # The run's mark too, so that the suite would see the server if it outlived the test.
        process = start_group(build.cmd, cwd=build.workdir,
                              env={**environ, RUN_MARK: os.environ.get(RUN_MARK, "")},
                              output=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("voiceline serve did not answer: " +
                        log_path.read_text(errors="replace")[-3000:])
        yield build, base, environ
    finally:
        stop_group(process, timeout=20)


def test_the_images_healthcheck_passes_and_healthz_says_ok(image):
    build, base, environ = image
    checked = subprocess.run(build.healthcheck, env=environ, cwd=build.workdir, timeout=30)
    assert checked.returncode == 0
    with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
        health = json.load(response)
    assert health["status"] == "ok" and health["store"] == "ok"


def test_the_installed_wheel_answers_a_call_with_the_shipped_words(image):
    _, base, _ = image
    shipped = load_checked(REPO_PROMPTS)
    call = SimulatedCall(HttpTransport(base), TwilioSigner(TOKEN, base))
    heard = [h.text for h in call.start()]
    for code in shipped.flow.languages:
        assert shipped.languages[code].call["emergency"] in heard


def test_the_wheel_carries_the_shipped_words_and_no_tests(image):
    build, _, _ = image
    site = next(build.venv.glob("lib/python*/site-packages"))
    packaged = site / "voiceline" / "default_prompts"
    shipped = sorted(p.relative_to(REPO_PROMPTS) for p in REPO_PROMPTS.rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts)
    assert sorted(p.relative_to(packaged) for p in packaged.rglob("*") if p.is_file()) == \
        shipped
    assert (site / "voiceline" / "web" / "gunicorn_conf.py").is_file()
    assert not (site / "tests").exists() and not (site / "prompts").exists()


def test_the_installed_command_needs_no_settings_for_help_and_init(image, tmp_path):
    build, _, _ = image
    voiceline = str(build.venv / "bin" / "voiceline")
    bare = {"PATH": f"{build.venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    shown = subprocess.run([voiceline, "--help"], env=bare, cwd=tmp_path, capture_output=True,
                           text=True, timeout=60)
    assert shown.returncode == 0 and shown.stderr == ""
    assert shown.stdout.startswith("Usage: voiceline")
    made = subprocess.run([voiceline, "init", "mine"], env=bare, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    checked = subprocess.run([voiceline, "check", "mine"], env=bare, cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout


def test_the_build_ran_the_images_installs_and_kept_no_wheels(image):
    build, _, _ = image
    assert [r.split()[:2] for r in build.ran if r.startswith("pip")] == [
        ["pip", "wheel"], ["pip", "install"]]
    assert not (build.root / "image" / "wheels").exists()
    assert (build.root / "image" / "data" / "voiceline.sqlite3").is_file(), \
        "without DATABASE_URL the image keeps its SQLite file in its volume"
