"""The `ask` command: one question to the LLM, the reply streamed and spoken as it is written.

Tokens are printed on stdout the moment they arrive. Unless `--no-speak`, the chunker cuts
them into speakable pieces and a synth thread speaks each piece while the model goes on
writing, exactly as in a conversation. The output device is opened before the model loads,
so a machine without one fails at once with one line.
"""

from __future__ import annotations

import sys

from assistant.errors import UserError


def add_arguments(parser) -> None:
    parser.add_argument("text", nargs="+", metavar="TEXT", help="the question")
    parser.add_argument("--no-speak", action="store_true",
                        help="only print the reply; do not synthesize or play it")


def run(args, settings) -> int:
    from assistant.commands.say import SpeechOutput, open_speaker
    from assistant.llm import LlmEngine, resolve_llm_model
    from assistant.tts.chunker import Chunker

    question = " ".join(args.text).strip()
    if not question:
        raise UserError("Ask something: the question is empty.")
    speaker = None if args.no_speak else open_speaker(settings, "only print the reply with --no-speak")
    llm = LlmEngine(settings.llm, resolve_llm_model(settings.llm.model))
    tts = output = None
    try:
        if speaker is not None:
            from assistant.tts.factory import make_tts

            tts = make_tts(settings.tts)
            tts.start()
            output = SpeechOutput(tts, speaker)
            output.start()
        llm.start()
        chunker = Chunker()
        try:
            for token in llm.stream_reply(llm.new_history().messages_for(question)):
                sys.stdout.write(token)
                sys.stdout.flush()
                if output is not None:
                    for chunk in chunker.feed(token):
                        output.say(chunk)
            sys.stdout.write("\n")
            sys.stdout.flush()
            if output is not None:
                for chunk in chunker.flush():
                    output.say(chunk)
                output.finish()
        except KeyboardInterrupt:
            llm.cancel()
            if output is not None:
                output.stop()
            raise
        return 0
    finally:
        if speaker is not None:
            speaker.close()
        if tts is not None:
            tts.close()
        llm.close()
