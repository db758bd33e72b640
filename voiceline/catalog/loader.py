"""Reading the prompt files into a ``Catalog``, validated as a whole.

``flow.toml`` is the menu as data (with a spec version; see ``flowfile``);
``<lang>/line.toml``, ``<lang>/topics.toml``, ``<lang>/red_flags.toml`` and the optional
``<lang>/examples.toml`` hold one language's words (read with ``prompt_files``); the
guide the topics sum up is named in flow.toml (``guide``). ``read_catalog`` reads them
all and returns an immutable ``Catalog`` (or None) with every finding, each naming its
file, line and fix. Rules about the words themselves are passed in (``rules``): they
live above the engines, in ``checks``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import CatalogError, Finding
from .flowfile import Flow, check_flow, read_flow
from .guide import read_guide
from .model import (
    AUDIO_SUFFIXES,
    CALL_KEYS,
    COMMAND_KEYS,
    LANGUAGE_KEYS,
    LIST_KEYS,
    NO_TOPIC,
    NOT_REVIEWED,
    OPTIONAL_LISTS,
    QUESTION_KEYS,
    RED_FLAG_KEYS,
    RED_FLAG_KINDS,
    TEXT_KEYS,
    TOPIC_KEYS,
    Catalog,
    Guide,
    Language,
    RedFlagGroup,
    RedFlags,
    Topic,
)
from .prompt_files import PromptFiles

Rules = Callable[[Catalog], Iterable[Finding]]
_PHONE_LIKE = re.compile(r"\d(?:[\s().-]*\d){6,}")  # seven digits or more, however written


def load_catalog(root: str | Path, rules: Rules | None = None) -> Catalog:
    """Read and validate every prompt file under ``root``; raise ``CatalogError`` if broken."""
    catalog, findings = read_catalog(root, rules)
    if catalog is None:
        raise CatalogError(findings)
    return catalog


def read_catalog(root: str | Path, rules: Rules | None = None
                 ) -> tuple[Catalog | None, list[Finding]]:
    """Read every prompt file; return the catalog (None if any error) and all findings.
    ``rules`` judge a structurally sound catalog's words (``checks.content_findings``)."""
    reader = PromptFiles(Path(root).resolve())
    flow = read_flow(reader)
    languages: dict[str, Language] = {}
    guide: Guide | None = None
    if flow is not None:
        guide = read_guide(reader, flow.guide)
        for code in flow.languages:
            language = _read_language(reader, code, flow)
            if language is not None:
                languages[code] = language
        check_flow(reader, flow)
    sound = not any(f.severity == "error" for f in reader.findings)
    # The content rules say the words as the engines would: only a sound structure can.
    if rules is not None and flow is not None and sound and \
            len(languages) == len(flow.languages):
        draft = Catalog(reader.root, _version(reader), flow, MappingProxyType(languages),
                        guide=guide)
        try:
            for finding in rules(draft):
                reader.findings.append(_with_line(reader, finding))
        except Exception as exc:  # noqa: BLE001 - a rule's bug must not take the line down
            reader.findings.append(Finding(
                f"{reader.root.name}/flow.toml", None, "", "The content check could not "
                f"finish ({type(exc).__name__}), so these files are not served.",
                "Report this to a developer, with the prompt files."))
    errors = [f for f in reader.findings if f.severity == "error"]
    if errors or flow is None:
        return None, reader.findings
    warnings = tuple(f for f in reader.findings if f.severity != "error")
    return Catalog(reader.root, _version(reader), flow, MappingProxyType(languages),
                   warnings, guide), reader.findings


def _with_line(reader: PromptFiles, finding: Finding) -> Finding:
    if finding.line is not None:
        return finding
    path = reader.root.parent / finding.file
    line = reader.line_of(path, finding.where)
    return Finding(finding.file, line, finding.where, finding.message, finding.fix,
                   finding.severity)


def _version(reader: PromptFiles) -> str:
    digest = hashlib.sha256()
    for name in sorted(reader.sources):
        digest.update(name.encode() + b"\0" + reader.sources[name].encode())
    return digest.hexdigest()[:12]


def _read_language(reader: PromptFiles, code: str, flow: Flow) -> Language | None:
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
    raw_menus = line.get("menus")
    menus: dict[str, Any] = raw_menus if isinstance(raw_menus, dict) else {}
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
                                 values["reviewed_by"], values["reviewed"] or None,
                                 values["reviewed_words"])
    for extra in sorted(set(topics_raw) - set(flow.topics)):
        reader.error(topics_path, f"topics.{extra}", f"Topic '{extra}' is not in flow.toml's "
                     "topics list.", "Add it to topics = [...] in flow.toml, or delete it.")
    red_flags = _read_red_flags(reader, folder / "red_flags.toml")
    examples = _read_examples(reader, folder / "examples.toml", topics)
    if len([f for f in reader.findings if f.severity == "error"]) > before or red_flags is None:
        return None
    lang, call = sections["language"], sections["call"]
    return Language(
        code=code, name=lang["name"], speech_tag=lang["speech_tag"], voice=lang["voice"],
        choose=lang["choose"], words=tuple(lang["words"]), greetings=tuple(lang["greetings"]),
        subject_words=tuple(lang["subject_words"]), off_topic=tuple(lang["off_topic"]),
        other_subjects=tuple(lang["other_subjects"]),
        call=MappingProxyType({k: v for k, v in call.items() if k != "no_input"}),
        no_input=tuple(call["no_input"]), menus=MappingProxyType(dict(menus)),
        text=MappingProxyType(sections["text"]), topics=MappingProxyType(topics),
        commands=MappingProxyType({k: tuple(v) for k, v in sections["commands"].items()}),
        audio=MappingProxyType(_audio_files(folder / "audio")), red_flags=red_flags,
        examples=MappingProxyType(examples))


def _read_examples(reader: PromptFiles, path: Path, topics: dict[str, Topic]
                   ) -> dict[str, tuple[str, ...]]:
    """Requests people sent, by topic (optional: a language without the file has none).
    A broken file, or a value that is no list of requests, is an error like any other;
    the rest makes nothing unsafe, so it is a warning: examples under a name that is no
    topic (left out), a request under two topics, one that holds a phone number."""
    if not path.is_file():
        return {}
    raw = reader.read_toml(path)
    if raw is None:
        return {}
    examples: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            reader.error(path, key, f"'{key}' must be a list of requests in quotes.",
                         f'Write it like {key} = ["first request", "second request"].')
            continue
        if key != NO_TOPIC and key not in topics:
            reader.error(path, key, f"'{key}' is not a topic, so these examples are not used.",
                         f"Use a topic id from topics.toml ({', '.join(topics)}) or "
                         f"{NO_TOPIC} for requests no topic answers.", severity="warning")
            continue
        requests = tuple(" ".join(v.split()) for v in value if v.strip())
        for request in requests:
            if _PHONE_LIKE.search(request):
                reader.error(path, key, f"'{request}' looks like it holds a phone number.",
                             "Take the number out: these files are not private.",
                             severity="warning")
            other = seen.setdefault(request.lower(), key)
            if other != key:
                reader.error(path, key, f"'{request}' is under both {other} and {key}.",
                             "Keep it under the one topic that answers it.",
                             severity="warning")
        examples[key] = requests
    return examples


def _read_red_flags(reader: PromptFiles, path: Path) -> RedFlags | None:
    raw = reader.read_toml(path)
    if raw is None:
        return None
    groups = {}
    for kind in RED_FLAG_KINDS:
        values = _read_section(reader, path, raw, kind, RED_FLAG_KEYS, kind="red_flag")
        groups[kind] = RedFlagGroup(kind, tuple(values["words"]), values["spoken"],
                                    values["text"])
    questions = _read_section(reader, path, raw, "questions", QUESTION_KEYS)
    for extra in sorted(set(raw) - {*RED_FLAG_KINDS, "questions"}):
        reader.error(path, extra, f"Unknown section [{extra}].",
                     "Remove it or check its spelling.")
    return RedFlags(MappingProxyType(groups), tuple(questions["general"]),
                    tuple(questions["personal"]))


def _read_section(reader: PromptFiles, path: Path, data: dict[str, Any], section: str,
                  keys: tuple[str, ...], prefix: str = "", kind: str = "") -> dict[str, Any]:
    raw = data.get(section)
    values: dict[str, Any] = {}
    if not isinstance(raw, dict):
        reader.error(path, prefix + section, f"Section [{section}] is missing.",
                     f"Add a [{section}] section (copy it from prompts/en/).")
        raw = {}
    list_kind = kind or section
    for key in keys:
        where = f"{prefix}{section}.{key}"
        value = raw.get(key)
        if key in ("reviewed_by", "reviewed") and value is None:
            # A new topic nobody has reviewed yet: honest by default, listed as awaiting
            # review, never an error that keeps the topic off the line.
            values[key] = NOT_REVIEWED if key == "reviewed_by" else None
            continue
        if key == "reviewed":
            if not isinstance(value, date) and value != NOT_REVIEWED:
                reader.error(path, where, f"'reviewed' must be a date, or \"{NOT_REVIEWED}\".",
                             "Write it like reviewed = 2026-11-28 (no quotes), or "
                             f'reviewed = "{NOT_REVIEWED}".')
            values[key] = value if isinstance(value, date) else None
            continue
        if key == "reviewed_words":  # written by `voiceline review`, absent until then
            if value is not None and not isinstance(value, str):
                reader.error(path, where, "'reviewed_words' must be a text in quotes.",
                             "Let `voiceline review` write it.")
            values[key] = value.strip() if isinstance(value, str) else ""
            continue
        if key in OPTIONAL_LISTS and value is None:
            values[key] = []  # optional: a line may name no other subjects
            continue
        if (list_kind, key) in LIST_KEYS:
            ok = isinstance(value, list) and (bool(value) or key in OPTIONAL_LISTS) and all(
                isinstance(v, str) and v.strip() for v in value)
            if not ok:
                reader.error(path, where, f"'{key}' must be a list of texts in quotes.",
                             f'Write it like {key} = ["first", "second"].')
            values[key] = [v.strip() for v in value] if ok and isinstance(value, list) else []
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
