"""Content rules on a loaded catalog: what makes a prompt wrong or costly for a caller.

``content_findings`` runs on every load (the line refuses a catalog with errors) and in
``voiceline check``. Structure (syntax, keys, menus, reachability) is checked by
``catalog`` itself; here are the words. Errors block a load; warnings never do, so a long
sentence or a hard word never takes the line down. The limits, documented for
operators in prompts/README.md:

- SMS: GSM-7 characters only; a topic's text with the disclaimer in at most 3 segments
  (error), 2 if possible (warning); the topic list in 2, also the first reply with its
  "Emergency? Call 911." (error); a red flag's reply with the list in 3 (error).
- Spoken: each text at most 4,096 characters (Twilio's ``<Say>`` limit; error); about
  ``SPOKEN_SECONDS`` for any one text and ``MENU_SECONDS`` until a menu's last choice is
  heard (warnings; see ``readability.WORDS_PER_MINUTE``).
- Reading level (warnings): English Flesch-Kincaid grade above ``MAX_GRADE``; Spanish
  Szigriszt-Pazos perspicuity below ``MIN_EASE``.
- Faithfulness to the guide (``faithfulness``): a source that is no heading of the guide,
  and numbers, prices or strong words its section does not contain (errors); sentences
  with little support in it (warnings).
- Red flags: text.emergency names 911 (error); red-flag words that are also topic words
  (warning: that topic could never be reached by them).
- Every ending of a call says the disclaimer and the physician prompt (error); the text
  disclaimer, which ends every text, stays short (warning).
- Recordings whose file name matches no prompt, or that are empty (warnings).
- Review records that contradict themselves (``provenance``; warnings). Topics awaiting
  clinical review are not warnings: ``provenance.awaiting_review`` lists them apart.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path

from ..catalog import AUDIO_SUFFIXES, CALL_KEYS, TEXT_KEYS, Catalog, Language
from ..catalog.model import PLACEHOLDERS, RED_FLAG_KINDS, REQUIRED_PLACEHOLDERS
from ..engine.call import CallState, Node, Speech, end_call, enter
from ..engine.texts import (
    MAX_SEGMENTS,
    MENU_SEGMENTS,
    compose,
    compose_help,
    menu_pages,
    topic_body,
)
from ..engine.understand import understand
from ..errors import Finding
from ..text import gsm, placeholders, readability
from ..text.matching import normalise
from .faithfulness import faithfulness_findings
from .provenance import review_findings

SAY_MAX_CHARS = 4096  # Twilio's <Say> refuses longer text
# Everything one menu or one topic says in a single answer to Twilio. Twilio refuses TwiML
# over 64 kB; markup, voices and XML escapes stay far below that at this many characters.
RESPONSE_MAX_CHARS = 10_000
SPOKEN_SECONDS = 60  # one topic or other text; longer and callers lose the thread
MENU_SECONDS = 30  # from a menu's start until its last choice is heard
MAX_GRADE = 6.0  # Flesch-Kincaid (English)
MIN_EASE = 65.0  # Szigriszt-Pazos (Spanish): 65 to 80 is "fairly easy", about grade 6
EMERGENCY_NUMBER = "911"
TEXT_DISCLAIMER_CHARS = 70

# [call] texts only ever said as parts of other sentences, so never played as recordings.
PARTS = {"option", "action", "invalid_key", "did_you_mean", "menu_intro", "end_label",
         "text_label", "star", "pound"}


def content_findings(catalog: Catalog, *, understood: bool = True) -> Iterator[Finding]:
    """Every content rule; ``understood=False`` leaves out the one that asks whether each
    topic's label is understood as that topic, which needs the learned readers (seconds
    to build): the line leaves it to ``voiceline check`` and builds them after it starts
    answering."""
    for lang in catalog.languages.values():
        placeholders = list(_placeholder_findings(catalog, lang))
        yield from placeholders
        yield from _sms_findings(catalog, lang)
        yield from _ending_findings(catalog, lang)
        # Menus are timed as the engine says them, which needs placeholders that work.
        yield from _spoken_findings(catalog, lang, time_menus=not placeholders)
        if not placeholders:
            yield from _size_findings(catalog, lang)
        yield from _reading_findings(catalog, lang)
        yield from faithfulness_findings(catalog, lang)
        yield from review_findings(catalog, lang)
        yield from _red_flag_findings(catalog, lang)
        yield from _other_subject_findings(catalog, lang)
        if understood:
            yield from _understood_findings(catalog, lang)
        yield from audio_findings(catalog, lang)
    yield from _shared_word_findings(catalog)


def _files(catalog: Catalog, lang: Language) -> tuple[str, str]:
    """How findings name a language's two files (as the loader does: from the folder up)."""
    folder = f"{catalog.root.name}/{lang.code}"
    return f"{folder}/line.toml", f"{folder}/topics.toml"


def _texts(catalog: Catalog, lang: Language) -> Iterator[tuple[str, str, str]]:
    """(file, key path, text) for every text of a language."""
    line, topics = _files(catalog, lang)
    red_flags = _red_flags_file(catalog, lang)
    for kind, group in lang.red_flags.groups.items():
        yield red_flags, f"{kind}.spoken", group.spoken
        yield red_flags, f"{kind}.text", group.text
    yield line, "language.choose", lang.choose
    for key in CALL_KEYS:
        yield line, f"call.{key}", lang.call[key] if key != "no_input" else ""
    for i, text in enumerate(lang.no_input):
        yield line, f"call.no_input.{i + 1}", text
    for key in TEXT_KEYS:
        yield line, f"text.{key}", lang.text[key]
    for topic in lang.topics.values():
        yield topics, f"topics.{topic.id}.spoken", topic.spoken
        yield topics, f"topics.{topic.id}.text", topic.text


def _spoken_texts(catalog: Catalog, lang: Language) -> Iterator[tuple[str, str, str]]:
    """(file, key path, text) for every text said on the phone as a whole."""
    for file, where, text in _texts(catalog, lang):
        if text and (where.startswith(("call.", "language.")) or where.endswith(".spoken")):
            yield file, where, text


def _placeholder_findings(catalog: Catalog, lang: Language) -> Iterator[Finding]:
    """Placeholders are a closed set per text: ``{name}`` only, and only the names listed in
    ``PLACEHOLDERS`` (no format spec, attribute or index: the line never runs them)."""
    for file, where, text in _texts(catalog, lang):
        allowed = PLACEHOLDERS.get(where, ())
        may_use = (f"This text may use only {', '.join('{' + a + '}' for a in allowed)}, "
                   "written exactly so" if allowed else "This text takes no placeholder")
        for problem in placeholders.problems(text, allowed):
            yield Finding(file, None, where, f"{problem} {may_use}.",
                          f"Write {' or '.join('{' + a + '}' for a in allowed)} with nothing "
                          "else inside the braces, or remove the braces." if allowed else
                          "Remove the braces (write {{ or }} for a brace itself).")
        for name in REQUIRED_PLACEHOLDERS.get(where, ()):
            if name not in placeholders.used(text):
                yield Finding(file, None, where, f"The placeholder {{{name}}} is missing.",
                              f"Put {{{name}}} where the {name} should be said.")


def _sms_findings(catalog: Catalog, lang: Language) -> Iterator[Finding]:
    line, topics = _files(catalog, lang)
    sms_texts = [(line, f"text.{k}", lang.text[k]) for k in TEXT_KEYS]
    sms_texts += [(topics, f"topics.{t.id}.text", t.text) for t in lang.topics.values()]
    sms_texts += [(topics, f"topics.{t.id}.label", t.label) for t in lang.topics.values()]
    sms_texts += [(_red_flags_file(catalog, lang), f"{g.kind}.text", g.text)
                  for g in lang.red_flags.groups.values()]
    for file, where, text in sms_texts:
        for char in gsm.non_gsm7(text):
            plain = gsm.suggest(char)
            yield Finding(file, None, where, f"The character {char!r} (U+{ord(char):04X}) is "
                          "not in the plain SMS alphabet (GSM-7); one such character can "
                          "triple what a text costs.",
                          f"Replace it with {plain!r}." if plain else "Remove it.")
    ending = "\n" + lang.text["disclaimer"]
    for topic in lang.topics.values():
        first = gsm.to_gsm7(topic_body(lang, topic.id, first=True) + ending)
        if gsm.segments(first) > MAX_SEGMENTS:
            yield Finding(topics, None, f"topics.{topic.id}.text", "As the answer to a first "
                          f"text (with text.first_answer and the disclaimer) this text takes "
                          f"{gsm.segments(first)} SMS segments ({gsm.septets(first)} "
                          f"characters); the limit is {MAX_SEGMENTS} "
                          f"({gsm.MULTI_SEGMENT * MAX_SEGMENTS}).",
                          "Shorten it, or text.first_answer (until then a first text gets "
                          "this topic with text.more instead).", severity="warning")
        full = topic_body(lang, topic.id) + ending
        count = gsm.segments(gsm.to_gsm7(full))
        where = f"topics.{topic.id}.text"
        if count > MAX_SEGMENTS:
            yield Finding(topics, None, where, f"With the disclaimer this text takes {count} "
                          f"SMS segments ({gsm.septets(gsm.to_gsm7(full))} characters); the "
                          f"limit is {MAX_SEGMENTS} ({gsm.MULTI_SEGMENT * MAX_SEGMENTS}).",
                          "Shorten it.")
        elif count > MENU_SEGMENTS:
            yield Finding(topics, None, where, f"With the disclaimer this text takes {count} "
                          "SMS segments.", "Shorten it to two segments (306 characters) "
                          "if you can.", severity="warning")
    if gsm.segments(compose_help(lang)) > MAX_SEGMENTS or \
            not compose_help(lang).endswith(gsm.to_gsm7(lang.text["help"] + ending)):
        yield Finding(line, None, "text.help", "The help text, with text.emergency and the "
                      "disclaimer, is longer than three SMS segments.", "Shorten it.")
    # The list is sent after each of these first lines (or none: "MENU"), in pages that
    # fit; a page fails only when one topic line does not fit with the rest of it.
    firsts = {"welcome": f"{lang.text['welcome']}\n{lang.text['emergency']}",
              "language_set": f"{lang.text['language_set']}\n{lang.text['emergency']}",
              "resubscribed": lang.text["resubscribed"], "unknown": lang.text["unknown"]}
    for first, first_line in firsts.items():
        for number, page in enumerate(menu_pages(catalog, lang, first_line), start=1):
            body = compose(lang, page)
            if gsm.segments(body) > MENU_SEGMENTS:
                yield Finding(line, None, f"text.{first}", f"Page {number} of the SMS topic "
                              f"list after text.{first} takes {gsm.segments(body)} segments "
                              f"({gsm.septets(body)} characters); it must fit in "
                              f"{MENU_SEGMENTS} ({gsm.MULTI_SEGMENT * MENU_SEGMENTS} "
                              "characters).", f"Shorten text.{first}, the topic labels, "
                              "text.menu_header, text.menu_footer or text.more_topics" +
                              (", or text.emergency." if first in ("welcome", "language_set")
                               else "."))
                break
    for group in lang.red_flags.groups.values():
        # The wording comes first, then the start of the topic list (the way forward).
        first_page = compose(lang, menu_pages(catalog, lang, group.text)[0])
        if gsm.segments(first_page) > MENU_SEGMENTS:
            yield Finding(_red_flags_file(catalog, lang), None, f"{group.kind}.text",
                          f"The {group.kind} text with the start of the topic list takes "
                          f"{gsm.segments(first_page)} SMS segments; it must fit in "
                          f"{MENU_SEGMENTS}.", "Shorten it (about 150 characters at most).")


def _other_subject_findings(catalog: Catalog, lang: Language) -> Iterator[Finding]:
    """An "other subject" the line's own topics talk about ("hip", where cells are taken
    from) would keep those topics' questions from ever being answered as sure."""
    line, _ = _files(catalog, lang)
    own = {topic.id: f" {normalise(' '.join((topic.label, *topic.words)))} "
                     f"{normalise(topic.spoken)} {normalise(topic.text)} "
           for topic in lang.topics.values()}
    for subject in lang.other_subjects:
        words = f" {normalise(subject)} "
        users = [topic_id for topic_id, text in own.items() if words.strip() and words in text]
        if users:
            yield Finding(line, None, "language.other_subjects", f"'{subject}' is listed as "
                          f"another subject, but the topic {', '.join(users)} talks about it: "
                          "questions naming it would never be answered as sure.",
                          f"Take '{subject}' out of other_subjects.", severity="warning")


def _understood_findings(catalog: Catalog, lang: Language) -> Iterator[Finding]:
    """A topic's own name must be understood as that topic: it is what callers hear in
    the menus and what they say back."""
    _, topics = _files(catalog, lang)
    for topic in lang.topics.values():
        found = understand(catalog, topic.label, lang.code)
        if found.topic != topic.id:
            heard = (f"as '{found.topic}'" if found.topic else
                     f"as one of {', '.join(found.choices)}" if found.choices else "at all")
            yield Finding(topics, None, f"topics.{topic.id}.label", f"Said or texted, the "
                          f"label '{topic.label}' is not understood as this topic ({heard}).",
                          "Add the label's words to this topic's words, and take them out "
                          "of other topics' words.", severity="warning")
            continue
        # Said at the first prompt, before a language is chosen (read in the first
        # language first), or texted from a number the line takes for another language.
        for other in catalog.languages:
            if other == lang.code:
                continue
            found = understand(catalog, topic.label, other)
            if found.topic != topic.id:
                yield Finding(topics, None, f"topics.{topic.id}.label", f"Said at the "
                              f"first prompt or texted from a '{other}' number, the label "
                              f"'{topic.label}' is not understood as this topic.",
                              "Look for a word of the label that is also (or nearly) a word "
                              f"of the '{other}' files, and change one of them.",
                              severity="warning")


def _ending_findings(catalog: Catalog, lang: Language) -> Iterator[Finding]:
    """The disclaimer and physician prompt, before goodbye, on every way a call ends; the
    text disclaimer after every text.

    The loader already refuses a language without them (missing or empty); this makes sure
    the engine's endings, which the texts cannot change, still say them."""
    line, _ = _files(catalog, lang)
    endings = {"the caller hangs up": end_call(lang),
               "after silence": end_call(lang, Speech(lang.code, lang.no_input[-1])),
               "after an error": end_call(lang, Speech(lang.code, lang.call["error"]))}
    for how, step in endings.items():
        said = [s.text for s in step.say]
        if not (step.hangup and said[-3:] == [lang.call["disclaimer"], lang.call["physician"],
                                              lang.call["goodbye"]]):
            yield Finding(line, None, "call.disclaimer", f"A call that ends {how} does not "
                          "say the disclaimer and the physician prompt, then goodbye.",
                          "Report this to a developer: the line must never end so.")
    if len(lang.text["disclaimer"]) > TEXT_DISCLAIMER_CHARS:
        yield Finding(line, None, "text.disclaimer", f"The text disclaimer has "
                      f"{len(lang.text['disclaimer'])} characters; it ends every text, so "
                      f"over {TEXT_DISCLAIMER_CHARS} it crowds out the answers.",
                      "Shorten it, keeping both ideas: not medical advice, and see your "
                      "doctor.", severity="warning")


def _spoken_findings(catalog: Catalog, lang: Language, time_menus: bool = True
                     ) -> Iterator[Finding]:
    line, _ = _files(catalog, lang)
    for file, where, text in _spoken_texts(catalog, lang):
        if len(text) > SAY_MAX_CHARS:
            yield Finding(file, None, where, f"This text has {len(text)} characters; Twilio "
                          f"speaks at most {SAY_MAX_CHARS} at once.", "Shorten it a lot: "
                          "a caller cannot follow it anyway.")
        seconds = readability.speaking_seconds(text)
        if seconds > SPOKEN_SECONDS:
            yield Finding(file, None, where, f"This takes about {seconds:.0f} seconds to say; "
                          f"the limit is {SPOKEN_SECONDS}.", "Shorten it, or split the topic "
                          "in two.", severity="warning")
    for menu_id, seconds in (menu_seconds(catalog, lang) if time_menus else {}).items():
        if seconds > MENU_SECONDS:
            name = "main menu" if menu_id == catalog.flow.main_menu else f"menu '{menu_id}'"
            yield Finding(line, None, f"menus.{menu_id}", f"The {name} takes about "
                          f"{seconds:.0f} seconds before its last choice is heard; the limit "
                          f"is {MENU_SECONDS}.", "Shorten the names under [menus] and the "
                          "topic labels, or call.option and the menu's intro, or offer fewer "
                          "choices (flow.toml).", severity="warning")


def _size_findings(catalog: Catalog, lang: Language) -> Iterator[Finding]:
    """The whole answer of each menu and each topic, as the engine says it, stays small."""
    line, topics = _files(catalog, lang)
    places = [(line, f"menus.{m}", Node.menu(m)) for m in catalog.flow.menus]
    places += [(topics, f"topics.{t}", Node.topic(t)) for t in lang.topics]
    for file, where, node in places:
        step = enter(catalog, CallState(lang.code, str(node)))
        said = step.say + (step.gather.prompt if step.gather is not None else ())
        chars = sum(len(s.text) for s in said)
        if chars > RESPONSE_MAX_CHARS:
            yield Finding(file, None, where, f"Everything said here at once has {chars:,} "
                          f"characters; the limit is {RESPONSE_MAX_CHARS:,} (Twilio refuses "
                          "a larger answer, and no caller could follow it).",
                          "Shorten the texts said here: the topic, its labels, call.option "
                          "and the menu's intro.")


def menu_seconds(catalog: Catalog, lang: Language) -> dict[str, float]:
    """Seconds from a menu's start until its last choice is heard (intro and choices)."""
    result = {}
    for menu in catalog.flow.menus.values():
        gather = enter(catalog, CallState(lang.code, menu.id)).gather
        prompt = gather.prompt if gather is not None else ()
        heard = prompt[:1 + len(menu.options)]
        result[menu.id] = sum(readability.speaking_seconds(s.text) for s in heard)
    return result


def speaking_report(catalog: Catalog) -> dict[str, dict[str, dict[str, int]]]:
    """Per language: each menu's and each topic's estimated seconds (for ``voiceline check``)."""
    return {code: {"menus": {k: round(v) for k, v in menu_seconds(catalog, lang).items()},
                   "topics": {t.id: round(readability.speaking_seconds(t.spoken))
                              for t in lang.topics.values()}}
            for code, lang in catalog.languages.items()}


def _reading_findings(catalog: Catalog, lang: Language) -> Iterator[Finding]:
    family = lang.speech_tag.split("-")[0].lower()
    if family not in {"en", "es"}:
        return  # no formula for this language: nothing to say rather than a wrong grade
    for file, where, text in _texts(catalog, lang):
        if where.startswith("call.no_input") and where.count(".") == 1:
            continue  # the list itself; its items come one by one
        stats = readability.stats(text, family)
        if family == "en":
            grade = readability.flesch_kincaid_grade(stats)
            if grade is None or round(grade, 1) <= MAX_GRADE:  # as shown: "8.0" passes
                continue
            level = f"about grade {grade:.1f} (Flesch-Kincaid); the line aims at {MAX_GRADE:.0f}"
        else:
            ease = readability.szigriszt_pazos(stats)
            if ease is None or round(ease) >= MIN_EASE:
                continue
            level = (f"{ease:.0f} on the Szigriszt-Pazos scale; the line aims at "
                     f"{MIN_EASE:.0f} or more (fairly easy, about grade 6)")
        hard = ", ".join(f"'{w}'" for w in stats.long_words[:4])
        yield Finding(file, None, where, f"Reading level is {level}.",
                      f"Use shorter sentences (the longest has {stats.longest_sentence} words)"
                      + (f" and everyday words instead of long ones like {hard}." if hard
                         else "."), severity="warning")


def _red_flags_file(catalog: Catalog, lang: Language) -> str:
    return f"{catalog.root.name}/{lang.code}/red_flags.toml"


def _red_flag_findings(catalog: Catalog, lang: Language) -> Iterator[Finding]:
    """Texts must name 911; a red-flag word that is also a topic's word (in any language)
    would turn every request for that topic into a red flag."""
    line, _ = _files(catalog, lang)
    if EMERGENCY_NUMBER not in lang.text["emergency"]:
        yield Finding(line, None, "text.emergency", f"text.emergency does not say "
                      f"{EMERGENCY_NUMBER}; it is sent with the first reply and with the "
                      "help reply.", 'Write it like emergency = "Emergency? Call 911."')
    topic_words = {f" {normalise(w)} ": (code, topic.id)
                   for code, other in catalog.languages.items()
                   for topic in other.topics.values() for w in (topic.label, *topic.words)}
    every_phrase = "\n".join(topic_words)  # one search per word; most words clash with none
    for kind, group in lang.red_flags.groups.items():
        for word in group.words:
            needle = f" {normalise(word)} "
            clash = None if needle not in every_phrase else next(
                where for phrase, where in topic_words.items() if needle in phrase)
            if clash is not None:
                yield Finding(_red_flags_file(catalog, lang), None, f"{kind}.words",
                              f"The red-flag word '{word}' is also in the words of topic "
                              f"'{clash[1]}' ({clash[0]}/topics.toml), so a request for that "
                              f"topic gets the {kind} wording instead.",
                              "Remove it from one of the two lists, or use a longer phrase.",
                              severity="warning")


def _shared_word_findings(catalog: Catalog) -> Iterator[Finding]:
    """A word of two topics (in any language: a request is read in every one) cannot
    tell the line which of them a caller means; the header of topics.toml says so."""
    # Each phrase read once (this runs on every load): (language, topic, phrase, reading)
    read = [(lang, topic, word, normalise(word)) for lang in catalog.languages.values()
            for topic in lang.topics.values() for word in (topic.label, *topic.words)]
    owners: dict[str, tuple[str, str]] = {}  # each reading: its first language and topic
    for lang, topic, _, reading in read:
        owners.setdefault(reading, (lang.code, topic.id))
    for lang, topic, word, reading in read:
        code, owner = owners[reading]
        if owner != topic.id and word != topic.label:
            yield Finding(_files(catalog, lang)[1], None, f"topics.{topic.id}.words",
                          f"'{word}' is also in the words of topic '{owner}' "
                          f"({code}/topics.toml), so the line cannot tell which of the two "
                          "a caller means.", "Keep it in the one topic it belongs to.",
                          severity="warning")


def recordable(catalog: Catalog, lang: Language) -> set[str]:
    """The names a recording may have: each prompt said as a whole."""
    names = {f"call.{k}" for k in CALL_KEYS if k not in PARTS} | {"language.choose"}
    names |= {f"red_flags.{kind}" for kind in RED_FLAG_KINDS}
    return names | {f"topic.{t}" for t in lang.topics}


def audio_findings(catalog: Catalog, lang: Language) -> Iterator[Finding]:
    """Recordings that will never play, or would play nothing."""
    folder = catalog.root / lang.code / "audio"
    if not folder.is_dir():
        return
    names = recordable(catalog, lang)
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name.lower() == "readme.md" or path.is_dir():
            continue
        file = f"{catalog.root.name}/{lang.code}/audio/{path.name}"
        yield from _one_recording(file, path, names)


def _one_recording(file: str, path: Path, names: set[str]) -> Iterator[Finding]:
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        yield Finding(file, None, "", "This recording is not played: only .mp3 and .wav "
                      "files are.", "Save it as .mp3 (or .wav).", severity="warning")
        return
    if path.stem not in names:
        close = difflib.get_close_matches(path.stem, sorted(names), n=1)
        yield Finding(file, None, "", f"No prompt is called '{path.stem}', so this recording "
                      "is never played.", f"Rename it to {close[0]}{path.suffix}." if close
                      else "Name it after a prompt, like call.welcome.mp3 or "
                      "topic.risks.mp3.", severity="warning")
        return
    if path.stem == "call.no_input":
        yield Finding(file, None, "", "This one recording plays for every silence reprompt "
                      "(call.no_input), though their texts differ; the last one also ends "
                      "the call.", "Record words that fit all of them, or delete it.",
                      severity="warning")
    try:
        empty = path.stat().st_size == 0
        with path.open("rb"):
            pass
    except OSError:
        yield Finding(file, None, "", "This recording cannot be read; the line speaks the "
                      "text instead.", "Check the file's permissions.", severity="warning")
        return
    if empty:
        yield Finding(file, None, "", "This recording is empty; the line speaks the text "
                      "instead.", "Record it again, or delete it.", severity="warning")
