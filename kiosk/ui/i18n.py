"""Qt translations: ``kiosk/i18n/gerbang_<lang>.qm``, loaded by language choice."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

from models.errors import ConfigError
from models.settings import Language

I18N_DIR = Path(__file__).resolve().parent.parent / "i18n"


class Translations:
    """Swaps the installed translator when the traveller picks a language."""

    def __init__(self) -> None:
        self._translator: QTranslator | None = None
        self.language = Language.ENGLISH

    def install(self, language: Language) -> None:
        app = QCoreApplication.instance()
        if app is None:
            raise ConfigError("translations need a running Qt application")
        if self._translator is not None:
            app.removeTranslator(self._translator)
            self._translator = None
        path = I18N_DIR / f"gerbang_{language.value}.qm"
        translator = QTranslator()
        if not translator.load(str(path)):
            raise ConfigError(f"translation file missing or damaged: {path}", key="kiosk.language")
        app.installTranslator(translator)
        self._translator = translator
        self.language = language
