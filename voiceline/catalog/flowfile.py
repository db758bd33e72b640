"""The menu as data: ``flow.toml`` (with its spec version) read into ``Flow``, and
validated as a whole: numbered choices without gaps, at most five per menu, every menu
and topic reachable from the main menu. Errors name file, key and fix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from .prompt_files import PromptFiles, string_list

SPEC_VERSION = 1


@dataclass(frozen=True)
class Option:
    key: str
    menu: str | None = None
    topic: str | None = None


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
    guide: str = ""  # the guide's file, relative to the prompts folder


NOT_A_FOLDER_FIX = ("Set VOICELINE_PROMPTS_DIR to your prompts folder (the one that holds "
                    "flow.toml and a folder per language), or unset it to serve the words "
                    "shipped with the line. `voiceline init DIR` makes a copy to edit.")


def read_flow(reader: PromptFiles) -> Flow | None:
    path = reader.root / "flow.toml"
    if not path.exists():  # the wrong folder altogether, not a missing file
        message = (f"{reader.root} is not a prompts folder: it has no flow.toml."
                   if reader.root.is_dir() else f"There is no folder {reader.root}.")
        reader.error(reader.root, "", message, NOT_A_FOLDER_FIX)
        return None
    data = reader.read_toml(path)
    if data is None:
        return None
    version = data.get("spec_version")
    if version != SPEC_VERSION:
        reader.error(path, "spec_version", f"spec_version is {version!r}; this version of "
                     f"voiceline reads spec_version {SPEC_VERSION}.",
                     f"Set spec_version = {SPEC_VERSION} and check the file against "
                     "prompts/README.md.")
    languages = string_list(reader, path, data, "languages")
    topics = string_list(reader, path, data, "topics")
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
    guide = data.get("guide")
    if not isinstance(guide, str) or not guide.strip():
        reader.error(path, "guide", "flow.toml does not name the guide the topics sum up.",
                     'Add guide = "guide.md" (the guide\'s file, next to flow.toml).')
        guide = ""
    unknown = set(data) - {"spec_version", "languages", "topics", "main_menu", "menus",
                           "guide"}
    for key in sorted(unknown):
        reader.error(path, key, f"Unknown key '{key}'.", "Remove it or check its spelling.")
    if not languages or not topics:
        return None
    return Flow(SPEC_VERSION, tuple(languages), tuple(topics), main_menu,
                MappingProxyType(menus), guide.strip())


def _read_menu(reader: PromptFiles, path: Path, menu_id: str, raw: object) -> Menu:
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


def check_flow(reader: PromptFiles, flow: Flow) -> None:
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
    reached = reachable(flow)
    for topic in flow.topics:
        if topic not in reached:
            reader.error(path, "topics", f"Topic '{topic}' is in no menu a caller can reach.",
                         "Add { key = N, topic = \"" + topic + "\" } to a menu's options.")
    for menu_id in flow.menus:
        if menu_id not in reached:
            reader.error(path, f"menus.{menu_id}", f"Menu '{menu_id}' cannot be reached from "
                         "the main menu.", "Offer it from another menu, or delete it.",
                         severity="warning")


def reachable(flow: Flow) -> set[str]:
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
