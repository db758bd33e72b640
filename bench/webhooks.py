"""Benchmark the line's webhooks against the floor, both under the Procfile's gunicorn.

    .venv/bin/python bench/webhooks.py [--duration 5] [--rounds 3] [--connections 16]

It starts the line exactly as the Procfile does (the ``release:`` line, then the ``web:``
line, with gunicorn.conf.py) and, in the same run, the floor (``bench/floor_app.py``: a
bare Flask app that checks the Twilio signature and answers fixed TwiML) under the same
gunicorn settings. Then, one server at a time, ``wrk`` posts signed requests for four
webhooks: an incoming call, a menu choice, a topic and an SMS question (from many
numbers that texted before, so each is a real answer with its store reads and writes).
Each answer is checked before the timing, and during it (status 200 and the expected
TwiML verb), so a fast wrong answer cannot pass for a fast one.

It prints requests per second, p50 and p99 latency and errors for each (medians over the
rounds), each one's ratio to the floor, the cold start (process start to the first 200
from /healthz) and the resident memory of each worker, and whether the targets are met.
``wrk`` comes from Debian (``apt-get install wrk``). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from voiceline.checks import load_checked  # noqa: E402
from voiceline.engine.guards import Texter  # noqa: E402
from voiceline.engine.texts import answer_text  # noqa: E402
from voiceline.settings import REPO_PROMPTS  # noqa: E402

TOKEN = "bench-auth-token"
CALL_SID = "CA" + "b" * 32
LINE = "+15005550006"
CALLER = "+15005550009"
TARGETS = {"ratio": 0.8, "p99_ms": 25.0, "cold_start_s": 2.0, "rss_mb": 80.0}
# Each texter asks these in turn: a text different from its last one is never a "loop".
QUESTIONS = ("what are the risks", "how much does it cost", "does insurance pay for it")


@dataclass(frozen=True)
class Scenario:
    name: str
    requests: tuple[tuple[tuple[str, dict[str, str]], ...], ...]  # per wrk thread
    verb: str  # the TwiML verb every answer from the line must contain
    words: str  # what the first answer must say (from the catalog), checked before timing


@dataclass
class Result:
    rps: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def median(self, name: str) -> float:
        return statistics.median(getattr(self, name))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per webhook "
                        "and server (the median is reported)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY for both")
    parser.add_argument("--database-url", default="", help="the line's DATABASE_URL "
                        "(default: a new SQLite file)")
    parser.add_argument("--numbers", type=int, default=1000,
                        help="texters per wrk thread for the SMS question")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--line-command", default="", help="start the line with this "
                        "command instead of the Procfile's web: line (to compare variants)")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.rounds < 1 or args.connections < args.threads:
        parser.error("--duration and --rounds must be positive, and --connections at least "
                     "--threads")
    return args


# ------------------------------------------------------------------------------ requests

def call_params(**extra: str) -> dict[str, str]:
    return {"CallSid": CALL_SID, "AccountSid": "AC" + "0" * 32, "From": CALLER, "To": LINE,
            "Caller": CALLER, "Called": LINE, "CallStatus": "in-progress",
            "Direction": "inbound", "ApiVersion": "2010-04-01", **extra}


def sms_params(number: str, body: str, n: int) -> dict[str, str]:
    return {"MessageSid": f"SM{n:032x}", "AccountSid": "AC" + "0" * 32, "From": number,
            "To": LINE, "Body": body, "NumMedia": "0", "NumSegments": "1",
            "ApiVersion": "2010-04-01"}


def texters(threads: int, per_thread: int, seed: int) -> list[list[str]]:
    """Made-up numbers (555 exchange), a separate set per wrk thread; the area code changes
    from run to run, so runs on one database do not meet each other's texters."""
    if threads * per_thread > 10_000:
        raise SystemExit("--numbers times --threads must be at most 10000")
    area = 200 + seed % 800
    return [[f"+1{area}555{t * per_thread + i:04d}" for i in range(per_thread)]
            for t in range(threads)]


def scenarios(catalog, threads: int, numbers: list[list[str]]) -> list[Scenario]:
    """The four webhooks, found in the catalog: the first menu choice, its first topic."""
    flow, lang = catalog.flow, catalog.languages["en"]
    choice = flow.menus[flow.main_menu].options[0]
    if not choice.menu:
        raise SystemExit("the benchmark expects the main menu's key 1 to open a sub-menu")
    sub = flow.menus[choice.menu]
    topic = sub.options[0].topic or ""
    menu_path = f"/voice/answer?lang=en&at={flow.main_menu}"
    topic_path = f"/voice/answer?lang=en&at={sub.id}&trail={flow.main_menu}"
    voice = [("incoming call", "/voice", call_params(), lang.call["welcome"]),
             ("menu choice", menu_path, call_params(Digits=str(choice.key)),
              lang.call["menu_intro"].format(label=lang.menus[sub.id])),
             ("topic", topic_path, call_params(Digits=str(sub.options[0].key)),
              lang.topics[topic].spoken if topic else lang.call["menu_intro"])]
    found = [Scenario(name, tuple(((path, params),) for _ in range(threads)), "<Gather", words)
             for name, path, params, words in voice]
    sms = tuple(tuple(("/sms", sms_params(number, question, i * len(mine) + j))
                      for i, question in enumerate(QUESTIONS)
                      for j, number in enumerate(mine)) for mine in numbers)
    answer = answer_text(catalog, Texter(False, "en"), QUESTIONS[0])
    return [*found, Scenario("SMS question", sms, "<Message>", answer.body)]


def lua_script(scenario: Scenario, signer: RequestValidator, base: str, expect: str) -> str:
    """A wrk script: each thread cycles through its own pre-signed requests."""
    def quote(text: str) -> str:
        return "[==[" + text + "]==]"

    tables = []
    for mine in scenario.requests:
        rows = [f"{{{quote(path)}, {quote(urllib.parse.urlencode(params))}, "
                f"{quote(signer.compute_signature(base + path, params))}}}"
                for path, params in mine]
        tables.append("{" + ",\n".join(rows) + "}")
    return LUA.replace("@REQUESTS@", "{" + ",\n".join(tables) + "}").replace(
        "@EXPECT@", quote(expect))


LUA = """
local scripted = @REQUESTS@
local expect = @EXPECT@
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  i = tonumber(args[id + 1] or "0")
  ready = {}
  for n, r in ipairs(scripted[id % #scripted + 1]) do
    ready[n] = wrk.format("POST", r[1], {["Content-Type"] = "application/x-www-form-urlencoded",
                                         ["X-Twilio-Signature"] = r[3]}, r[2])
  end
end

function request()
  i = i + 1
  return ready[(i - 1) % #ready + 1]
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, expect, 1, true) then bad = bad + 1 end
end

function done(summary, latency, requests)
  local wrong, issued = 0, {}
  for _, thread in ipairs(threads) do
    wrong = wrong + thread:get("bad")
    table.insert(issued, tostring(thread:get("i")))
  end
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, ' ..
    '"p99_us": %d, "socket_errors": %d, "bad": %d, "issued": [%s]}\\n', summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, wrong, table.concat(issued, ", ")))
end
"""


# ------------------------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn started through ``sh -c`` as a Procfile platform starts it."""

    def __init__(self, name: str, command: str, env: dict[str, str], logs: Path):
        self.name, self.command, self.env = name, command, env
        self.port = int(env["PORT"])
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = logs / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        """Start it; returns the cold start: seconds until /healthz first answers 200."""
        began = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(["sh", "-c", self.command], cwd=ROOT, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        while time.monotonic() - began < 30:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return time.monotonic() - began
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.01)
        self.stop()
        raise SystemExit(f"{self.name} did not start; see {self.log_path}")

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker (the processes the gunicorn master forked)."""
        tree = children_by_parent()
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            kids = tree.get(pid, [])
            if not kids and pid != self.process.pid:
                found.append(rss_mb(pid))
            todo += kids
        return found

    def stop(self) -> None:
        """SIGTERM the whole group (``sh -c`` may fork gunicorn rather than exec it), wait
        until none of it is left, then SIGKILL what remains."""
        if self.process is None:
            return
        for number in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, number)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                self.process.poll()
                try:
                    os.killpg(self.process.pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.1)


def children_by_parent() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def procfile(kind: str) -> str:
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines()
                if x.startswith(kind + ":"))
    return line.split(":", 1)[1].strip()


def post(base: str, signer: RequestValidator, path: str, params: dict[str, str]) -> str:
    data = urllib.parse.urlencode(params).encode()
    headers = {"X-Twilio-Signature": signer.compute_signature(base + path, params),
               "Content-Type": "application/x-www-form-urlencoded"}
    request = urllib.request.Request(base + path, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read().decode()


# ----------------------------------------------------------------------------- measuring

def run_wrk(server: Server, script: Path, args: argparse.Namespace, seconds: int,
            offsets: list[int]) -> dict:
    """One wrk run; each thread starts at its offset in its list of scripted requests."""
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d",
               f"{seconds}s", "--timeout", "5s", "-s", str(script), server.base, "--",
               *(str(offset) for offset in offsets)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    found = json.loads(line.removeprefix("BENCH "))
    found["rps"] = found["requests"] / (found["duration_us"] / 1e6)
    return found


def check_answers(line: Server, signer: RequestValidator, found: list[Scenario]) -> None:
    """Before timing: each webhook's first scripted request gets the answer it is meant to."""
    for scenario in found:
        path, params = scenario.requests[0][0]
        answer = post(line.env["PUBLIC_BASE_URL"], signer, path, params)
        said = " ".join(" ".join(ET.fromstring(answer).itertext()).split())
        if scenario.verb not in answer or " ".join(scenario.words.split()) not in said:
            raise SystemExit(f"{scenario.name}: not the expected answer:\n{answer}")


def prime_texters(line: Server, signer: RequestValidator, numbers: list[list[str]]) -> None:
    """Every benchmark texter texts once first, so its question gets a real answer."""
    base = line.env["PUBLIC_BASE_URL"]
    for i, number in enumerate(n for mine in numbers for n in mine):
        post(base, signer, "/sms", sms_params(number, "hello", 10**9 + i))


def measure(servers: dict[str, Server], found: list[Scenario], args: argparse.Namespace,
            work: Path) -> dict[tuple[str, str], Result]:
    results: dict[tuple[str, str], Result] = {}
    for scenario in found:
        scripts, offsets = {}, {}
        for name, server in servers.items():
            expect = scenario.verb if name == "line" else "<Response>"
            scripts[name] = work / f"{name}-{scenario.name.replace(' ', '-')}.lua"
            scripts[name].write_text(lua_script(scenario, RequestValidator(TOKEN),
                                                server.env["PUBLIC_BASE_URL"], expect))
            offsets[name] = [0] * args.threads
            warm = run_wrk(server, scripts[name], args, min(2, args.duration), offsets[name])
            offsets[name] = next_offsets(warm, args)
        for _ in range(args.rounds):
            for name, server in servers.items():
                run = run_wrk(server, scripts[name], args, args.duration, offsets[name])
                offsets[name] = next_offsets(run, args)
                result = results.setdefault((scenario.name, name), Result())
                result.rps.append(run["rps"])
                result.p50_ms.append(run["p50_us"] / 1000)
                result.p99_ms.append(run["p99_us"] / 1000)
                result.errors += run["socket_errors"] + run["bad"]
    return results


def next_offsets(run: dict, args: argparse.Namespace) -> list[int]:
    """Where the next run starts: past every request this one made, with a margin for those
    still in flight (a texter skipping a question is fine; repeating one is a "loop")."""
    return [issued + args.connections for issued in run["issued"]]


def report(found: list[Scenario], results: dict[tuple[str, str], Result], cold: dict,
           rss: dict, args: argparse.Namespace) -> bool:
    rows, met = [], True
    for scenario in found:
        floor, line = results[(scenario.name, "floor")], results[(scenario.name, "line")]
        ratio = line.median("rps") / floor.median("rps")
        ok = (ratio >= TARGETS["ratio"] and line.median("p99_ms") < TARGETS["p99_ms"]
              and line.errors == 0)
        met &= ok
        rows.append([scenario.name, f"{floor.median('rps'):.0f}", f"{line.median('rps'):.0f}",
                     f"{ratio:.2f}", f"{floor.median('p50_ms'):.1f}",
                     f"{line.median('p50_ms'):.1f}", f"{floor.median('p99_ms'):.1f}",
                     f"{line.median('p99_ms'):.1f}", str(line.errors),
                     "yes" if ok else "NO"])
    header = ["webhook", "floor req/s", "line req/s", "ratio", "floor p50 ms",
              "line p50 ms", "floor p99 ms", "line p99 ms", "line errors", "meets targets"]
    print(f"\n{args.connections} connections, {args.threads} wrk threads, {args.workers} "
          f"workers each, {args.rounds} x {args.duration:g} s (medians), "
          f"{os.cpu_count()} CPUs\n")
    print_table(header, rows, args.markdown)
    cold_ok = cold["line"] < TARGETS["cold_start_s"]
    rss_ok = max(rss["line"]) < TARGETS["rss_mb"]
    met &= cold_ok and rss_ok
    print()
    print_table(["", "floor", "line", "target", "meets target"], [
        ["cold start (s)", f"{cold['floor']:.2f}", f"{cold['line']:.2f}",
         f"< {TARGETS['cold_start_s']:g}", "yes" if cold_ok else "NO"],
        ["RSS per worker (MB)", " / ".join(f"{x:.0f}" for x in rss["floor"]),
         " / ".join(f"{x:.0f}" for x in rss["line"]), f"< {TARGETS['rss_mb']:g}",
         "yes" if rss_ok else "NO"]], args.markdown)
    print("\nall targets met" if met else "\nsome targets NOT met")
    return met


def print_table(header: list[str], rows: list[list[str]], markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(" --- " for _ in header) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


# ---------------------------------------------------------------------------------- main

def environment(port: int, database_url: str) -> dict[str, str]:
    env = {**os.environ, "PORT": str(port), "TWILIO_AUTH_TOKEN": TOKEN,
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "DATABASE_URL": database_url,
           "VOICELINE_HASH_SECRET": "bench-hash-secret",
           # The benchmark texters ask many times an hour; the limit's store work still runs.
           "VOICELINE_SMS_REPLIES_PER_HOUR": "1000000",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("VOICELINE_DEV_MODE", "VOICELINE_PROMPTS_DIR", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    return env


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="voiceline-bench-"))
    database_url = args.database_url or f"sqlite:///{work / 'line.sqlite3'}"
    line_env = environment(free_port(), database_url)
    floor_env = environment(free_port(), database_url)
    for env in (line_env, floor_env):
        env["WEB_CONCURRENCY"] = str(args.workers)
    subprocess.run(["sh", "-c", procfile("release")], cwd=ROOT, env=line_env, check=True,
                   stdout=subprocess.DEVNULL)
    servers = {
        "floor": Server("floor", "gunicorn -c gunicorn.conf.py --pythonpath bench "
                        "'floor_app:create_app()'", floor_env, work),
        "line": Server("line", args.line_command or procfile("web"), line_env, work),
    }
    try:
        cold = {name: server.start() for name, server in servers.items()}
        catalog = load_checked(REPO_PROMPTS)
        numbers = texters(args.threads, args.numbers, random.randrange(10**6))
        found = scenarios(catalog, args.threads, numbers)
        signer = RequestValidator(TOKEN)
        prime_texters(servers["line"], signer, numbers)
        check_answers(servers["line"], signer, found)
        results = measure(servers, found, args, work)
        rss = {name: server.worker_rss_mb() for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    met = report(found, results, cold, rss, args)
    print(f"(server logs: {work})")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
