"""The catalog: the operators' prompt files as a model (``model``, ``flowfile``), read with
file and line (``loader``, ``prompt_files``), and the live holder that keeps the running
line's words up to date with the files on disk (``holder``)."""

from .flowfile import SPEC_VERSION, Flow, Menu, Option, reachable
from .loader import load_catalog, read_catalog
from .model import (
    AUDIO_SUFFIXES,
    CALL_KEYS,
    COMMAND_KEYS,
    LANGUAGE_KEYS,
    TEXT_KEYS,
    TOPIC_KEYS,
    Catalog,
    Language,
    Topic,
)

__all__ = [
    "AUDIO_SUFFIXES", "CALL_KEYS", "COMMAND_KEYS", "LANGUAGE_KEYS", "SPEC_VERSION",
    "TEXT_KEYS", "TOPIC_KEYS", "Catalog", "Flow", "Language", "Menu", "Option", "Topic",
    "load_catalog", "read_catalog", "reachable",
]
