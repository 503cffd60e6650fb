"""First run: no Vosk model for the language yet.

The app still works (the core falls back to Whisper, whose live words come in steps a little
behind the voice), so the window offers the download in the banner instead of stopping, and
says what is in use meanwhile. The offer is made once: shown, it is kept in `asked.json` (and
"Not now", or closing it, too) and not made again for that model; the Download… button in
Settings > Speech recognition stays. Once the model is installed it is chosen in the settings,
which reloads the speech engine in the background.
"""

from __future__ import annotations

import logging

from assistant.asked import AskedOnce
from assistant.stt.factory import VOSK_SUGGESTIONS

log = logging.getLogger(__name__)

KEY = "first-run-vosk"
LANGUAGES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "ko": "Korean"}


def needs_vosk(settings, manager) -> str | None:
    """The catalog id to offer, or None when a Vosk model is there or was not asked for."""
    stt = settings.stt
    if stt.engine == "whisper" or stt.vosk_model:
        return None
    language = (stt.language or "en").split("-")[0].lower()
    try:
        if manager.find_installed("stt-vosk", language):
            return None
    except Exception:  # an unreadable registry is reported by the core when it loads
        log.warning("could not read the installed models", exc_info=True)
        return None
    return VOSK_SUGGESTIONS.get(language)


def offer(window, settings, manager, asked: AskedOnce | None = None) -> bool:
    model_id = needs_vosk(settings, manager)
    asked = asked or AskedOnce()
    if model_id is None or asked.answered(f"vosk:{model_id}"):
        return False
    entry = manager.catalog_entry(model_id)
    size = f" ({entry.size / 1e6:.0f} MB)" if entry is not None else ""
    language = LANGUAGES.get(settings.stt.language.split("-")[0], settings.stt.language)
    text = (f"No Vosk speech model for {language} is installed, so Whisper is used meanwhile: "
            "it works, and shows your words in steps while you speak. Download "
            f"{model_id}{size} for words that follow your voice as you say them.")
    window.banner.show_message(
        text, "warning", key=KEY, action=("Download", lambda: download(window, model_id)),
        decline=("Not now", lambda: asked.remember(f"vosk:{model_id}", "not now")))
    asked.remember(f"vosk:{model_id}", "shown")
    return True


def download(window, model_id: str) -> None:
    from ui.download_dialog import DownloadDialog

    dialog = DownloadDialog(window.model_manager, kind="stt-vosk", model_id=model_id,
                            parent=window)
    dialog.installed.connect(lambda model: use_model(window, model))
    dialog.show()
    dialog.start_download()


def use_model(window, model) -> None:
    window.banner.dismiss(KEY)
    new = window.controller.settings.copy()
    new.stt.vosk_model = model.id
    if new.stt.engine == "whisper":
        new.stt.engine = "auto"
    window.controller.apply(new)  # reloads the recognizer in the background


def duplicates_offer(window, message: str) -> bool:
    """The core's own notice about the Whisper fallback says what the banner already says."""
    return window.banner.has(KEY) and "Vosk" in message
