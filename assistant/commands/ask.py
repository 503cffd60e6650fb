"""The `ask` command: one question to the LLM, the reply streamed and spoken as it is written.

Tokens are printed on stdout the moment they arrive. The reply goes through the loop's own
responder: the same sentence budget as a conversation (`conversation.max_reply_sentences`,
or `--sentences N`), the same cut at the token limit, the same speakable chunks. Unless
`--no-speak`, a synth thread speaks each chunk while the model goes on writing. The output
device is opened before the model loads, so a machine without one fails at once with one
line. (The local skills are the conversation's: a timer set here would end with the command.)
"""

from __future__ import annotations

import sys

from assistant.errors import UserError


def add_arguments(parser) -> None:
    parser.add_argument("text", nargs="+", metavar="TEXT", help="the question")
    parser.add_argument("--no-speak", action="store_true",
                        help="only print the reply; do not synthesize or play it")
    parser.add_argument("--sentences", type=int, metavar="N", default=None,
                        help="at most N sentences (default: the conversation's "
                             "max_reply_sentences; 0: no limit)")


def run(args, settings) -> int:
    from assistant.clock import DEFAULT_CLOCK
    from assistant.commands.say import SpeechOutput, open_speaker
    from assistant.conversation.responder import ReplyRequest, Responder
    from assistant.conversation.wiring import make_chunker
    from assistant.events import LlmToken, Notice, TextChunk
    from assistant.llm import LlmEngine, resolve_llm_model

    question = " ".join(args.text).strip()
    if not question:
        raise UserError("Ask something: the question is empty.")
    budget = settings.conversation.max_reply_sentences if args.sentences is None \
        else args.sentences
    if budget < 0:
        raise UserError("--sentences takes 0 (no limit) or more.")
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
        responder = Responder(llm, make_chunker, DEFAULT_CLOCK, lambda generation: True)
        request = ReplyRequest(turn_id=1, generation=0, max_sentences=budget,
                               messages=llm.new_history().messages_for(question))
        try:
            for event in responder.process(request):
                if isinstance(event, LlmToken):
                    sys.stdout.write(event.text)
                    sys.stdout.flush()
                elif isinstance(event, TextChunk) and output is not None:
                    output.say(event.text)
                elif isinstance(event, Notice):
                    print(f"\nerror: {event.message}", file=sys.stderr)
            sys.stdout.write("\n")
            sys.stdout.flush()
            if output is not None:
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
