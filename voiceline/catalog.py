"""The catalog: every word the line says, loaded from the operators' files in ``prompts/``.

``flow.toml`` is the menu as data (with a spec version); ``<lang>/line.toml`` and
``<lang>/topics.toml`` hold one language's words. ``load_catalog`` reads them all,
validates them as a whole, and returns an immutable ``Catalog`` or raises
``CatalogError`` listing every problem with its file, line and fix. The webhooks only
ever see a catalog that passed.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

from .errors import CatalogError, Finding

SPEC_VERSION = 1
AUDIO_SUFFIXES = (".mp3", ".wav")

LANGUAGE_KEYS = ("name", "speech_tag", "voice", "choose", "words", "greetings")
CALL_KEYS = (
    "welcome", "emergency", "option", "universal", "speak_hint", "help", "no_input",
    "invalid_key", "not_understood", "did_you_mean", "main_menu_intro", "menu_intro",
    "back_at_main", "topic_reminder", "again_label", "main_label", "end_label", "error",
    "goodbye", "disclaimer", "physician", "star", "pound",
    "text_label", "text_sent", "text_not_possible", "text_opted_out", "text_limit", "text_busy",
    "text_failed", "text_unconfirmed",
)
TEXT_KEYS = (
    "welcome", "menu_header", "menu_footer", "help", "unknown", "did_you_mean",
    "language_set", "resubscribed", "more", "disclaimer", "error", "too_long", "media",
)
COMMAND_KEYS = ("back", "repeat", "help", "main_menu", "end")
TOPIC_KEYS = ("label", "words", "spoken", "text", "source", "reviewed")
LIST_KEYS = {("language", "words"), ("language", "greetings"), ("call", "no_input"),
             ("topic", "words"), *(("commands", k) for k in COMMAND_KEYS)}


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    words: tuple[str, ...]
    spoken: str
    text: str
    source: str
    reviewed: date | None


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    speech_tag: str
    voice: str
    choose: str
    words: tuple[str, ...]
    greetings: tuple[str, ...]
    call: Mapping[str, str]
    no_input: tuple[str, ...]
    menus: Mapping[str, str]
    text: Mapping[str, str]
    topics: Mapping[str, Topic]
    commands: Mapping[str, tuple[str, ...]]  # spoken words for back, repeat, help, ...
    audio: Mapping[str, Path] = field(default_factory=dict)

    def key_name(self, key: str) -> str:
        """How a key is spoken: '*' is 'star' in English, 'asterisco' in Spanish."""
        return {"*": self.call["star"], "#": self.call["pound"]}.get(key, key)

    def option(self, label: str, key: str) -> str:
        return self.call["option"].format(label=label, key=self.key_name(key))


@dataclass(frozen=True)
class Option:
    key: str
    menu: str | None = None
    topic: str | None = None

    @property
    def target(self) -> str:
        return self.menu or self.topic or ""


@dataclass(frozen=True)
class Menu:
    id: str
    options: tuple[Option, ...]

    def option_for(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)


@dataclass(frozen=True)
class Flow:
    spec_version: int
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    main_menu: str
    menus: Mapping[str, Menu]


@dataclass(frozen=True)
class Catalog:
    root: Path
    version: str
    flow: Flow
    languages: Mapping[str, Language]
    warnings: tuple[Finding, ...] = ()

    @property
    def default_language(self) -> str:
        return self.flow.languages[0]

    def language(self, code: str | None) -> Language:
        """The language for ``code``, or the default one for anything unknown."""
        return self.languages.get(code or "", self.languages[self.default_language])

    def topic_menu(self, topic_id: str) -> str:
        """The menu that offers ``topic_id`` (where "back" from the topic goes)."""
        for menu in self.flow.menus.values():
            if any(o.topic == topic_id for o in menu.options):
                return menu.id
        return self.flow.main_menu


# ----------------------------------------------------------------------------- loading

class _Reader:
    """Collects findings while reading one folder of prompt files."""

    def __init__(self, root: Path):
        self.root = root
        self.findings: list[Finding] = []
        self.sources: dict[str, str] = {}

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def error(self, path: Path, where: str, message: str, fix: str,
              severity: str = "error") -> None:
        self.findings.append(Finding(self.rel(path), self.line_of(path, where), where,
                                     message, fix, severity))

    def line_of(self, path: Path, where: str) -> int | None:
        """Best-effort line of a key path such as 'topics.risks.text' in ``path``."""
        text = self.sources.get(str(path))
        if text is None or not where:
            return None
        parts = where.split(".")
        if parts[0] in {"topics", "flow"} and len(parts) > 1:  # a prefix naming the file
            parts = parts[1:]
        while len(parts) > 1 and parts[-1].isdigit():  # call.no_input.2: the list's line
            parts = parts[:-1]
        return locate(text, parts)

    def read_toml(self, path: Path) -> dict | None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            self.error(path, "", "This file is missing.",
                       f"Create {path.name} (copy it from another language's folder).")
            return None
        except OSError as exc:
            self.error(path, "", f"This file cannot be read ({exc.strerror}).",
                       "Check the file's permissions.")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.findings.append(Finding(self.rel(path), line, "", "This file is not UTF-8 text.",
                                         "Save it as UTF-8 (in most editors: Save As, "
                                         "Encoding: UTF-8)."))
            return None
        self.sources[str(path)] = text
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = _toml_error_line(exc)
            self.findings.append(Finding(
                self.rel(path), line, "", f"The file's format is broken: {exc}.",
                "Look at that line: every text needs quotes around it, every [section] needs "
                "its brackets, and a long text starts and ends with three quotes (\"\"\")."))
            return None


def _toml_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    lineno = getattr(exc, "lineno", None)
    if lineno:
        return int(lineno)
    found = re.search(r"line (\d+)", str(exc))
    return int(found.group(1)) if found else None


def locate(text: str, parts: list[str]) -> int | None:
    """Line number (1-based) of the key ``parts[-1]`` inside table ``parts[:-1]``."""
    lines = text.splitlines()
    whole = re.compile(r"^\s*\[\[?\s*" + r"\s*\.\s*".join(map(re.escape, parts)) + r"\s*\]")
    for i, line in enumerate(lines):
        if parts and whole.match(line):
            return i + 1
    table, key = parts[:-1], parts[-1] if parts else ""
    start = 0
    if table:
        header = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, table)) + r"\s*\]")
        start = next((i for i, line in enumerate(lines) if header.match(line)), -1)
        if start < 0:
            return None
    key_re = re.compile(r"^\s*" + re.escape(key) + r"\s*=") if key else None
    for i in range(start, len(lines)):
        if key_re is None:
            return i + 1
        if i > start and table and lines[i].lstrip().startswith("["):
            break
        if key_re.match(lines[i]):
            return i + 1
    return start + 1 if table else None


def load_catalog(root: str | Path) -> Catalog:
    """Read and validate every prompt file under ``root``; raise ``CatalogError`` if broken."""
    catalog, findings = read_catalog(root)
    if catalog is None:
        raise CatalogError(findings)
    return catalog


def read_catalog(root: str | Path) -> tuple[Catalog | None, list[Finding]]:
    """Read every prompt file; return the catalog (None if any error) and all findings."""
    from .checks import content_findings  # the content rules live apart from the structure

    reader = _Reader(Path(root).resolve())
    flow = _read_flow(reader)
    languages: dict[str, Language] = {}
    if flow is not None:
        for code in flow.languages:
            language = _read_language(reader, code, flow)
            if language is not None:
                languages[code] = language
        _check_flow(reader, flow)
    if flow is not None and len(languages) == len(flow.languages):
        draft = Catalog(reader.root, _version(reader), flow, MappingProxyType(languages))
        for finding in content_findings(draft):
            reader.findings.append(_with_line(reader, finding))
    errors = [f for f in reader.findings if f.severity == "error"]
    if errors or flow is None:
        return None, reader.findings
    warnings = tuple(f for f in reader.findings if f.severity != "error")
    return Catalog(reader.root, _version(reader), flow, MappingProxyType(languages),
                   warnings), reader.findings


def _with_line(reader: _Reader, finding: Finding) -> Finding:
    if finding.line is not None:
        return finding
    path = reader.root.parent / finding.file
    line = reader.line_of(path, finding.where)
    return Finding(finding.file, line, finding.where, finding.message, finding.fix,
                   finding.severity)


def _version(reader: _Reader) -> str:
    digest = hashlib.sha256()
    for name in sorted(reader.sources):
        digest.update(name.encode() + b"\0" + reader.sources[name].encode())
    return digest.hexdigest()[:12]


def _read_flow(reader: _Reader) -> Flow | None:
    path = reader.root / "flow.toml"
    data = reader.read_toml(path)
    if data is None:
        return None
    version = data.get("spec_version")
    if version != SPEC_VERSION:
        reader.error(path, "spec_version", f"spec_version is {version!r}; this version of "
                     f"voiceline reads spec_version {SPEC_VERSION}.",
                     f"Set spec_version = {SPEC_VERSION} and check the file against "
                     "prompts/README.md.")
    languages = _string_list(reader, path, data, "languages")
    topics = _string_list(reader, path, data, "topics")
    main_menu = data.get("main_menu")
    if not isinstance(main_menu, str):
        reader.error(path, "main_menu", "main_menu is missing.",
                     'Add main_menu = "main" (the name of the first menu callers hear).')
        main_menu = ""
    menus: dict[str, Menu] = {}
    raw_menus = data.get("menus")
    if not isinstance(raw_menus, dict) or not raw_menus:
        reader.error(path, "menus", "There are no menus.", "Add a [menus.main] section.")
        raw_menus = {}
    for menu_id, raw in raw_menus.items():
        menus[menu_id] = _read_menu(reader, path, menu_id, raw)
    unknown = set(data) - {"spec_version", "languages", "topics", "main_menu", "menus"}
    for key in sorted(unknown):
        reader.error(path, key, f"Unknown key '{key}'.", "Remove it or check its spelling.")
    if not languages or not topics:
        return None
    return Flow(SPEC_VERSION, tuple(languages), tuple(topics), main_menu,
                MappingProxyType(menus))


def _string_list(reader: _Reader, path: Path, data: dict, key: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        reader.error(path, key, f"'{key}' must be a list of names in quotes.",
                     f'Write it like {key} = ["first", "second"].')
        return []
    for dup in sorted({v for v in value if value.count(v) > 1}):
        reader.error(path, key, f"'{dup}' appears twice in '{key}'.", "Keep one of them.")
    return value


def _read_menu(reader: _Reader, path: Path, menu_id: str, raw: object) -> Menu:
    where = f"menus.{menu_id}"
    options: list[Option] = []
    raw_options = raw.get("options") if isinstance(raw, dict) else None
    if not isinstance(raw_options, list) or not raw_options:
        reader.error(path, where, f"Menu '{menu_id}' has no options.",
                     "Give it options = [ { key = 1, topic = \"...\" }, ... ].")
        return Menu(menu_id, ())
    for index, item in enumerate(raw_options, start=1):
        if not isinstance(item, dict) or ("menu" in item) == ("topic" in item):
            reader.error(path, f"{where}.options", f"Option {index} of menu '{menu_id}' must "
                         "name exactly one topic or one menu.",
                         'Write it like { key = 1, topic = "risks" } or '
                         '{ key = 2, menu = "safety" }.')
            continue
        key = item.get("key")
        if not isinstance(key, int) or not 1 <= key <= 9:
            reader.error(path, f"{where}.options", f"Option {index} of menu '{menu_id}' has "
                         f"key {key!r}; keys are the numbers 1 to 5.",
                         f"Write key = {index}.")
            continue
        options.append(Option(str(key), item.get("menu"), item.get("topic")))
    return Menu(menu_id, tuple(options))


def _check_flow(reader: _Reader, flow: Flow) -> None:
    path = reader.root / "flow.toml"
    if flow.main_menu and flow.main_menu not in flow.menus:
        reader.error(path, "main_menu", f"main_menu names '{flow.main_menu}', which is not a "
                     "menu.", "Name one of the [menus.*] sections.")
    for menu in flow.menus.values():
        where = f"menus.{menu.id}"
        keys = [int(o.key) for o in menu.options]
        if len(keys) > 5:
            reader.error(path, where, f"Menu '{menu.id}' offers {len(keys)} choices; callers "
                         "can hold at most five in mind.",
                         "Move some options into a new sub-menu.")
        for dup in sorted({k for k in keys if keys.count(k) > 1}):
            reader.error(path, where, f"Key {dup} is used twice in menu '{menu.id}'.",
                         "Number the options 1, 2, 3... once each.")
        if keys and sorted(set(keys)) != list(range(1, len(set(keys)) + 1)):
            reader.error(path, where, f"Menu '{menu.id}' keys {sorted(keys)} have a gap or "
                         "do not start at 1.", "Number the options 1, 2, 3... without gaps.")
        for option in menu.options:
            if option.menu and option.menu not in flow.menus:
                reader.error(path, where, f"Menu '{menu.id}' points to menu '{option.menu}', "
                             "which does not exist.", "Add that menu or fix the name.")
            if option.topic and option.topic not in flow.topics:
                reader.error(path, where, f"Menu '{menu.id}' offers topic '{option.topic}', "
                             "which is not in the topics list.",
                             "Add it to topics = [...] or fix the name.")
    reached = _reachable(flow)
    for topic in flow.topics:
        if topic not in reached:
            reader.error(path, "topics", f"Topic '{topic}' is in no menu a caller can reach.",
                         "Add { key = N, topic = \"" + topic + "\" } to a menu's options.")
    for menu_id in flow.menus:
        if menu_id not in reached:
            reader.error(path, f"menus.{menu_id}", f"Menu '{menu_id}' cannot be reached from "
                         "the main menu.", "Offer it from another menu, or delete it.",
                         severity="warning")


def _reachable(flow: Flow) -> set[str]:
    seen: set[str] = set()
    pending = [flow.main_menu]
    while pending:
        menu_id = pending.pop()
        if menu_id in seen or menu_id not in flow.menus:
            continue
        seen.add(menu_id)
        for option in flow.menus[menu_id].options:
            if option.menu:
                pending.append(option.menu)
            elif option.topic:
                seen.add(option.topic)
    return seen


def _read_language(reader: _Reader, code: str, flow: Flow) -> Language | None:
    folder = reader.root / code
    line_path, topics_path = folder / "line.toml", folder / "topics.toml"
    line = reader.read_toml(line_path)
    topics_raw = reader.read_toml(topics_path)
    if line is None or topics_raw is None:
        return None
    before = len([f for f in reader.findings if f.severity == "error"])
    sections = {}
    for section, keys in (("language", LANGUAGE_KEYS), ("call", CALL_KEYS),
                          ("commands", COMMAND_KEYS), ("text", TEXT_KEYS)):
        sections[section] = _read_section(reader, line_path, line, section, keys)
    menus = line.get("menus") if isinstance(line.get("menus"), dict) else {}
    for menu_id in flow.menus:
        if not isinstance(menus.get(menu_id), str) or not menus[menu_id].strip():
            reader.error(line_path, f"menus.{menu_id}", f"Menu '{menu_id}' has no label in "
                         f"{code}.", f'Add {menu_id} = "..." under [menus].')
    for extra in sorted(set(line) - {"language", "call", "commands", "text", "menus"}):
        reader.error(line_path, extra, f"Unknown section [{extra}].",
                     "Remove it or check its spelling.")
    topics: dict[str, Topic] = {}
    for topic_id in flow.topics:
        raw = topics_raw.get(topic_id)
        if not isinstance(raw, dict):
            reader.error(topics_path, f"topics.{topic_id}", f"Topic '{topic_id}' is missing in "
                         f"{code}.", f"Add a [{topic_id}] section (copy it from another "
                         "language and translate it).")
            continue
        values = _read_section(reader, topics_path, {topic_id: raw}, topic_id, TOPIC_KEYS,
                               prefix="topics.", kind="topic")
        topics[topic_id] = Topic(topic_id, values["label"], tuple(values["words"]),
                                 values["spoken"], values["text"], values["source"],
                                 values["reviewed"] or None)
    for extra in sorted(set(topics_raw) - set(flow.topics)):
        reader.error(topics_path, f"topics.{extra}", f"Topic '{extra}' is not in flow.toml's "
                     "topics list.", "Add it to topics = [...] in flow.toml, or delete it.")
    if len([f for f in reader.findings if f.severity == "error"]) > before:
        return None
    lang, call = sections["language"], sections["call"]
    return Language(
        code=code, name=lang["name"], speech_tag=lang["speech_tag"], voice=lang["voice"],
        choose=lang["choose"], words=tuple(lang["words"]), greetings=tuple(lang["greetings"]),
        call=MappingProxyType({k: v for k, v in call.items() if k != "no_input"}),
        no_input=tuple(call["no_input"]), menus=MappingProxyType(dict(menus)),
        text=MappingProxyType(sections["text"]), topics=MappingProxyType(topics),
        commands=MappingProxyType({k: tuple(v) for k, v in sections["commands"].items()}),
        audio=MappingProxyType(_audio_files(folder / "audio")))


def _read_section(reader: _Reader, path: Path, data: dict, section: str, keys: tuple[str, ...],
                  prefix: str = "", kind: str = "") -> dict:
    raw = data.get(section)
    values: dict = {}
    if not isinstance(raw, dict):
        reader.error(path, prefix + section, f"Section [{section}] is missing.",
                     f"Add a [{section}] section (copy it from prompts/en/).")
        raw = {}
    list_kind = kind or section
    for key in keys:
        where = f"{prefix}{section}.{key}"
        value = raw.get(key)
        if key == "reviewed":
            if value is not None and not isinstance(value, date):
                reader.error(path, where, "'reviewed' must be a date.",
                             "Write it like reviewed = 2026-11-28 (no quotes).")
            values[key] = value if isinstance(value, date) else None
            continue
        if (list_kind, key) in LIST_KEYS:
            ok = isinstance(value, list) and value and all(isinstance(v, str) and v.strip()
                                                           for v in value)
            if not ok:
                reader.error(path, where, f"'{key}' must be a list of texts in quotes.",
                             f'Write it like {key} = ["first", "second"].')
            values[key] = [v.strip() for v in value] if ok else []
            continue
        if value is None:
            reader.error(path, where, f"'{key}' is missing.",
                         f'Add {key} = "..." to [{section}] (see prompts/README.md).')
        elif not isinstance(value, str):
            reader.error(path, where, f"'{key}' must be a text in quotes.",
                         f'Write it like {key} = "...".')
        elif not value.strip():
            reader.error(path, where, f"'{key}' is empty.", "Write the words it should say.")
        # Line breaks inside a long text are only the operator's wrapping.
        values[key] = " ".join(value.split()) if isinstance(value, str) else ""
    for extra in sorted(set(raw) - set(keys)):
        reader.error(path, f"{prefix}{section}.{extra}", f"Unknown key '{extra}' in "
                     f"[{section}].", "Remove it or check its spelling.")
    return values


def _audio_files(folder: Path) -> dict[str, Path]:
    """Recorded prompts: ``audio/call.welcome.mp3`` stands in for the text 'call.welcome'."""
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.iterdir())
            if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file()}
