"""The dashboard's strings: one JSON catalogue per language, shipped in the package.

Bahasa Indonesia is the default; English is the other. A key missing from a
catalogue shows as the key itself (a test keeps both catalogues complete).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources

LANGUAGES = ("id", "en")
DEFAULT = "id"


@cache
def catalogue(lang: str) -> dict[str, str]:
    if lang not in LANGUAGES:
        raise KeyError(lang)
    raw = resources.files("sync.server.dashboard").joinpath(f"i18n/{lang}.json").read_text("utf-8")
    data: dict[str, str] = json.loads(raw)
    return data


def translator(lang: str) -> Callable[[str], str]:
    strings = catalogue(lang if lang in LANGUAGES else DEFAULT)

    def t(key: str) -> str:
        return strings.get(key, key)

    return t


def pick(cookie: str | None) -> str:
    return cookie if cookie in LANGUAGES else DEFAULT
