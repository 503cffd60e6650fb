"""The pages of the settings dialog, one function each. They only lay out fields; reading,
checking and applying the values is the dialog's job (`ui/settings_dialog.py`)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QWidget

from ui import audio_check
from ui.llm_speeds import LlmSpeeds
from ui.settings_form import Form, checkbox, combo, line
from ui.widgets.level_meter import LevelMeter

DEFAULT_DEVICE = ("System default", "")
VAD_LEVELS = [("0 — lets the most sound through", 0), ("1", 1), ("2 — balanced", 2),
              ("3 — filters the most noise", 3)]


def row(*widgets: QWidget, stretch: bool = True) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(6)
    for widget in widgets:
        layout.addWidget(widget, 1 if widget is widgets[0] and stretch else 0)
    return box


def audio_page(dialog) -> QWidget:
    """The devices' names are filled in by the dialog when a worker thread has asked PortAudio
    (`SettingsDialog.list_devices`); until then each list holds the default and the setting."""
    s = dialog.settings.audio
    page = QWidget()
    form = Form(dialog.fields, page)
    dialog.input_combo = combo([DEFAULT_DEVICE], s.input_device, editable=True)
    form.add("audio.input_device", "Microphone", dialog.input_combo)
    dialog.meter = LevelMeter(dialog.level)
    dialog.meter.setFixedHeight(8)
    form.addRow("Input level", dialog.meter)
    output = dialog.output_combo = combo([DEFAULT_DEVICE], s.output_device, editable=True)
    dialog.tone_button = QPushButton("Play test sound")
    dialog.tone_button.clicked.connect(dialog.play_test_sound)
    form.add("audio.output_device", "Speaker", output, extra=row(output, dialog.tone_button))
    dialog.tone_status = status_label()
    form.addRow("", dialog.tone_status)
    return page


def conversation_page(dialog) -> QWidget:
    s, c, t = dialog.settings.vad, dialog.settings.conversation, dialog.settings.turn
    page = QWidget()
    form = Form(dialog.fields, page)
    form.add("conversation.mode", "Mode",
             combo([("Push-to-talk", "ptt"), ("Open mic", "open-mic")], c.mode))
    form.add("vad.aggressiveness", "Noise filtering", combo(VAD_LEVELS, s.aggressiveness),
             hint="How strictly the voice detector ignores sounds that are not speech.")
    form.add("turn.detector", "Knowing when you are done",
             combo([("Listen for a finished sentence (end-of-turn model)", "smart"),
                    ("Wait for a silence", "silence")], t.detector),
             hint="The model hears whether you finished your sentence, so a pause to think "
                  "does not end your turn and a finished question is answered at once.")
    form.add("turn.threshold", "Sure enough at", line(t.threshold),
             hint="How sure the model must be that you are done (0.05–0.99); higher waits "
                  "more often for a longer silence.")
    form.add("turn.check_silence_ms", "Ask the model after (ms)", line(t.check_silence_ms),
             hint="The pause after which the model is first asked.")
    form.add("turn.max_silence_ms", "End of turn at the latest after (ms)",
             line(t.max_silence_ms),
             hint="However unsure the model is, a silence this long ends your turn.")
    form.add("vad.end_silence_ms", "End of turn on silence after (ms)", line(s.end_silence_ms),
             hint="With 'wait for a silence' (or without the model): the silence that ends "
                  "your turn in open-mic mode; shorter answers sooner.")
    form.add("conversation.continuation_ms", "Go on after a pause within (ms)",
             line(c.continuation_ms),
             hint="Talking again this soon after your turn ended continues it: the reply just "
                  "begun is dropped and everything you said is answered as one. 0: never.")
    form.add("conversation.barge_in", "Interrupting",
             checkbox("Let me interrupt a reply by talking", c.barge_in))
    form.add("conversation.barge_in_min_speech_ms", "Interrupt after (ms)",
             line(c.barge_in_min_speech_ms),
             hint="Speech needed to interrupt, so a cough or the reply's own echo does not.")
    form.add("conversation.half_duplex", "Half-duplex",
             checkbox("Do not listen while speaking (for speakers without echo cancelling)",
                      c.half_duplex))
    form.add("conversation.local_skills", "Local skills",
             checkbox("Answer the time, timers and alarms, stop and say that again myself",
                      c.local_skills),
             hint="At once and without the language model; off: every request goes to it.")
    a = dialog.settings.api
    form.add("api.enabled", "Local API",
             checkbox("Serve this conversation to other programs on this computer",
                      a.enabled),
             hint="REST and WebSocket on 127.0.0.1 only, with the token in the api-token "
                  "file of the settings folder (docs/API.md).")
    form.add("api.port", "API port", line(a.port, 80))
    return page


def speech_page(dialog) -> QWidget:
    s = dialog.settings.stt
    page = QWidget()
    form = Form(dialog.fields, page)
    form.add("stt.engine", "Engine", combo([("Automatic (Vosk if installed, else Whisper)",
                                            "auto"), ("Vosk (words as you say them)", "vosk"),
                                           ("Whisper (words in steps, about every 0.4 s)",
                                            "whisper")], s.engine),
             hint="Both show your words while you talk; Whisper's come a little behind the "
                  "voice (Whisper words, below).")
    form.add("stt.language", "Language", line(s.language, 80))
    dialog.vosk_combo = combo(dialog.model_items("stt-vosk", "Automatic for the language"),
                              s.vosk_model, editable=True)
    add = QPushButton("Add a folder…")
    add.clicked.connect(dialog.add_model_folder)
    get = QPushButton("Download…")
    get.clicked.connect(lambda: dialog.open_downloads("stt-vosk"))
    form.add("stt.vosk_model", "Vosk model", dialog.vosk_combo,
             extra=row(dialog.vosk_combo, add, get))
    dialog.whisper_combo = combo(dialog.model_items("stt-whisper"), s.whisper_model,
                                 editable=True)
    get_whisper = QPushButton("Download…")
    get_whisper.clicked.connect(lambda: dialog.open_downloads("stt-whisper"))
    form.add("stt.whisper_model", "Whisper model", dialog.whisper_combo,
             extra=row(dialog.whisper_combo, get_whisper))
    form.add("stt.whisper_trimmed", "Whisper speed",
             checkbox("Decode only the length of what I said (faster)",
                      s.whisper_trimmed),
             hint="Used for the models where it was measured as accurate (whisper-tiny). "
                  "Off: every decode uses Whisper's full 30 s window. A decode that looks "
                  "wrong is redone with the full window either way.")
    form.add("stt.whisper_live_partials", "Whisper words",
             checkbox("Show my words while I talk", s.whisper_live_partials),
             hint="Decodes what you said so far about every 400 ms while you talk. Off "
                  "saves CPU; the reply is as fast either way.")
    return page


def llm_page(dialog) -> QWidget:
    s = dialog.settings.llm
    page = QWidget()
    form = Form(dialog.fields, page)
    dialog.llm_combo = combo(dialog.model_items("llm-gguf"), s.model, editable=True)
    pick = QPushButton("Choose a .gguf file…")
    pick.clicked.connect(dialog.choose_gguf)
    get = QPushButton("Download…")
    get.clicked.connect(lambda: dialog.open_downloads("llm-gguf"))
    form.add("llm.model", "Model", dialog.llm_combo, extra=row(dialog.llm_combo, pick, get))
    dialog.llm_speeds = LlmSpeeds(dialog.manager, s)
    form.addRow("Speed here", dialog.llm_speeds)
    form.add("llm.context_size", "Context size (tokens)", line(s.context_size))
    form.add("llm.threads", "Threads", line(s.threads), hint="0 uses every physical core.")
    form.add("llm.temperature", "Temperature", line(s.temperature),
             hint="Higher gives more varied answers; lower, more predictable ones.")
    prompt = QPlainTextEdit(s.system_prompt)
    prompt.setMinimumHeight(90)
    form.add("llm.system_prompt", "System prompt", prompt, extra=prompt)  # full width
    return page


def voice_page(dialog) -> QWidget:
    s = dialog.settings.tts
    page = QWidget()
    form = Form(dialog.fields, page)
    engine = combo([("espeak-ng (fast, robotic)", "espeak"), ("Piper (natural)", "piper")],
                   s.engine)
    form.add("tts.engine", "Engine", engine)
    dialog.voice_combo = combo([("Default", "")], s.voice, editable=True)
    dialog.fill_voices(engine.currentData())
    engine.currentIndexChanged.connect(lambda: dialog.fill_voices(engine.currentData()))
    form.add("tts.voice", "Voice", dialog.voice_combo)
    form.add("tts.rate", "Rate (words a minute)", line(s.rate))
    dialog.preview_button = QPushButton("Preview")
    dialog.preview_button.clicked.connect(dialog.preview_voice)
    dialog.preview_status = status_label()
    form.addRow("", row(dialog.preview_button, dialog.preview_status, stretch=False))
    return page


def status_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setObjectName("hint")
    return label
