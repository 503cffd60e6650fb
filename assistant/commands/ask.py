"""The `ask` command: one question, the reply streamed and spoken as it is written.

The local skills answer first, as in a conversation (the time, here or in a named city; the
date; "say that again"), through the same routing as /v1/reply (`skills.answer`), without
loading the LLM. A timer is not set: `ask` ends at once and nothing stays running to ring
one, so it says so and points to the app, `listen` and the local API's conversation, which
keep and ring timers.

Everything else goes to the LLM. Tokens are printed on stdout the moment they arrive. The
reply goes through the loop's own responder: the same sentence budget as a conversation
(`conversation.max_reply_sentences`, or `--sentences N`), the same cut at the token limit,
the same speakable chunks. Unless `--no-speak`, a synth thread speaks each chunk while the
model goes on writing. The output device is opened before the model loads, so a machine
without one fails at once with one line.
"""

from __future__ import annotations

import sys

from assistant.errors import UserError

# what every timer request gets here
NO_TIMERS = ("I can't keep a timer from a one-shot ask: nothing stays running to ring it. "
             "Ask the app, voice-assistant listen, or a conversation on the local API.")


def add_arguments(parser) -> None:
    parser.add_argument("text", nargs="+", metavar="TEXT", help="the question")
    parser.add_argument("--no-speak", action="store_true",
                        help="only print the reply; do not synthesize or play it")
    parser.add_argument("--sentences", type=int, metavar="N", default=None,
                        help="at most N sentences (default: the conversation's "
                             "max_reply_sentences; 0: no limit)")


def local_answer(question: str, settings):
    """The skill's reply to `question`, or None (the LLM answers)."""
    from assistant.clock import DEFAULT_CLOCK
    from assistant.skills.skills import Skills, answer
    from assistant.skills.timers import TimerBoard

    skills = Skills(TimerBoard(DEFAULT_CLOCK), timers_elsewhere=NO_TIMERS)
    return answer(skills, question, settings.conversation.local_skills)


def run(args, settings) -> int:
    from assistant.commands.say import open_speaker

    question = " ".join(args.text).strip()
    if not question:
        raise UserError("Ask something: the question is empty.")
    budget = settings.conversation.max_reply_sentences if args.sentences is None \
        else args.sentences
    if budget < 0:
        raise UserError("--sentences takes 0 (no limit) or more.")
    speaker = None if args.no_speak else open_speaker(settings, "only print the reply with --no-speak")
    skill = local_answer(question, settings)
    llm = None
    if skill is None:
        from assistant.llm import LlmEngine, resolve_llm_model

        try:
            llm = LlmEngine(settings.llm, resolve_llm_model(settings.llm.model))
        except BaseException:
            if speaker is not None:
                speaker.close()
            raise
    tts = output = None
    try:
        if speaker is not None:
            from assistant.commands.say import SpeechOutput
            from assistant.tts.factory import make_tts

            tts = make_tts(settings.tts)
            tts.start()
            output = SpeechOutput(tts, speaker)
            output.start()
        if skill is not None:
            print(skill.text, flush=True)
            if output is not None:
                if skill.text:
                    output.say(skill.text)
                output.finish()
            return 0
        _reply_by_llm(llm, question, budget, output)
        return 0
    finally:
        if speaker is not None:
            speaker.close()
        if tts is not None:
            tts.close()
        if llm is not None:
            llm.close()


def _reply_by_llm(llm, question: str, budget: int, output) -> None:
    from assistant.clock import DEFAULT_CLOCK
    from assistant.conversation.responder import ReplyRequest, Responder
    from assistant.conversation.wiring import make_chunker
    from assistant.events import LlmToken, Notice, TextChunk

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
