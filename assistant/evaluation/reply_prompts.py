"""The reply-quality eval's prompts: what people say to a desktop voice assistant, written as
a recognizer hears it (lower case is fine, no markdown, numbers as they come).

Each case is a conversation: earlier turns (the user's words; the assistant's replies to
them are generated and kept, as in the app, or given as [user, reply] when the case is about
what a garbled earlier reply does) and the last user turn, which is scored.
`expect` lists the facts a good reply contains: each item is a group of alternatives, and
every group must be matched (case-insensitive, as whole words). A case without `expect`
is scored only on form (repetition, length, markdown, parroting).

kinds:
  fact       a short question with a known answer
  chat       small talk, opinions, advice: no single right answer
  follow-up  needs the earlier turns to be answered
  cannot     something a local voice assistant cannot do (book, send, browse, buy)
"""

from __future__ import annotations

CASES: list[dict] = [
    # --- facts ----------------------------------------------------------------------------
    {"kind": "fact", "say": "what is the capital of france", "expect": [["paris"]]},
    {"kind": "fact", "say": "what's the capital of japan", "expect": [["tokyo"]]},
    {"kind": "fact", "say": "what is the capital of italy", "expect": [["rome"]]},
    {"kind": "fact", "say": "what is the capital of germany", "expect": [["berlin"]]},
    {"kind": "fact", "say": "what is the capital of spain", "expect": [["madrid"]]},
    {"kind": "fact", "say": "how many days are there in a week", "expect": [["seven", "7"]]},
    {"kind": "fact", "say": "how many legs does a spider have", "expect": [["eight", "8"]]},
    {"kind": "fact", "say": "how many continents are there", "expect": [["seven", "7"]]},
    {"kind": "fact", "say": "what is two plus two", "expect": [["four", "4"]]},
    {"kind": "fact", "say": "what is ten times ten", "expect": [["hundred", "100"]]},
    {"kind": "fact", "say": "what color is the sky on a clear day", "expect": [["blue"]]},
    {"kind": "fact", "say": "what planet do we live on", "expect": [["earth"]]},
    {"kind": "fact", "say": "what is the largest ocean on earth", "expect": [["pacific"]]},
    {"kind": "fact", "say": "which planet is closest to the sun", "expect": [["mercury"]]},
    {"kind": "fact", "say": "what is the boiling point of water in celsius",
     "expect": [["100", "hundred"]]},
    {"kind": "fact", "say": "who wrote romeo and juliet", "expect": [["shakespeare"]]},
    {"kind": "fact", "say": "what gas do plants take in from the air",
     "expect": [["carbon dioxide", "co2"]]},
    {"kind": "fact", "say": "how many hours are in a day",
     "expect": [["twenty-four", "twenty four", "24"]]},
    {"kind": "fact", "say": "what is the freezing point of water in celsius",
     "expect": [["zero", "0"]]},
    {"kind": "fact", "say": "what language do people speak in brazil",
     "expect": [["portuguese"]]},
    {"kind": "fact", "say": "what is the tallest mountain in the world", "expect": [["everest"]]},
    {"kind": "fact", "say": "how many minutes are in an hour", "expect": [["sixty", "60"]]},
    {"kind": "fact", "say": "what is the opposite of hot", "expect": [["cold"]]},
    {"kind": "fact", "say": "what animal says moo", "expect": [["cow", "cows"]]},
    {"kind": "fact", "say": "which is bigger the sun or the moon", "expect": [["sun"]]},
    # --- chit-chat and advice -------------------------------------------------------------
    {"kind": "chat", "say": "hi there"},
    {"kind": "chat", "say": "good morning how are you"},
    {"kind": "chat", "say": "thank you that was helpful"},
    {"kind": "chat", "say": "what should i cook for dinner tonight"},
    {"kind": "chat", "say": "tell me a joke"},
    {"kind": "chat", "say": "i'm feeling a bit tired today"},
    {"kind": "chat", "say": "can you recommend a good book"},
    {"kind": "chat", "say": "what's a good way to relax after work"},
    {"kind": "chat", "say": "give me a tip for sleeping better"},
    {"kind": "chat", "say": "what do you think about rainy days"},
    {"kind": "chat", "say": "say something nice"},
    {"kind": "chat", "say": "how do i make a cup of tea"},
    {"kind": "chat", "say": "what's your favorite color"},
    {"kind": "chat", "say": "i just got back from a long walk"},
    {"kind": "chat", "say": "any ideas for a weekend trip"},
    # --- follow-ups: the answer needs the earlier turns -----------------------------------
    {"kind": "follow-up", "before": ["my name is anna"], "say": "what is my name",
     "expect": [["anna"]]},
    {"kind": "follow-up", "before": ["i live in chicago"], "say": "which city do i live in",
     "expect": [["chicago"]]},
    {"kind": "follow-up", "before": ["what is the capital of france"],
     "say": "and what about portugal", "expect": [["lisbon"]]},
    {"kind": "follow-up", "before": ["my favorite fruit is mango"],
     "say": "what fruit do i like", "expect": [["mango", "mangoes"]]},
    {"kind": "follow-up", "before": ["i have two cats"], "say": "how many cats do i have",
     "expect": [["two", "2"]]},
    {"kind": "follow-up", "before": ["what is the capital of japan"],
     "say": "and of greece", "expect": [["athens"]]},
    {"kind": "follow-up", "before": ["my dog is called max"], "say": "what's my dog's name",
     "expect": [["max"]]},
    {"kind": "follow-up", "before": ["tell me a joke"], "say": "tell me another one"},
    {"kind": "follow-up", "before": ["i'm going to the beach tomorrow"],
     "say": "what should i bring"},
    {"kind": "follow-up", "before": ["my sister's name is lucy", "i'm visiting her on sunday"],
     "say": "who am i visiting", "expect": [["lucy", "sister"]]},
    {"kind": "follow-up", "before": ["i work as a nurse"], "say": "what is my job",
     "expect": [["nurse"]]},
    {"kind": "follow-up", "before": ["what is two plus two"], "say": "and times three",
     "expect": [["twelve", "12"]]},
    # after a garbled reply (given, not generated: what a small model sometimes writes), the
    # next answer must not go on in the same way
    {"kind": "follow-up", "before": [["tell me about yourself", "I'm sorry for any mistakes. "
                                      "I'm sorry for any mistakes. I'm sorry for any mistakes."]],
     "say": "what is the capital of egypt", "expect": [["cairo"]]},
    {"kind": "follow-up", "before": [["can you help me", "I'll just make it slightly different: "
                                      "I'll just make it slightly different: I'll just make it"]],
     "say": "how many legs does a cat have", "expect": [["four", "4"]]},
    {"kind": "follow-up", "before": [["what should i pack", "**Packing list:** - socks - "
                                      "shirts - **more socks** - socks - socks"]],
     "say": "what color is grass", "expect": [["green"]]},
    # --- requests a local assistant cannot do ---------------------------------------------
    {"kind": "cannot", "say": "book me a flight to london"},
    {"kind": "cannot", "say": "send an email to my boss"},
    {"kind": "cannot", "say": "order a pizza for me"},
    {"kind": "cannot", "say": "call my mom"},
    {"kind": "cannot", "say": "what's the weather going to be like tomorrow"},
    {"kind": "cannot", "say": "play some music on spotify"},
    {"kind": "cannot", "say": "turn on the living room lights"},
    {"kind": "cannot", "say": "what's the latest news"},
    {"kind": "cannot", "say": "buy me some new shoes"},
    {"kind": "cannot", "say": "post this on facebook for me"},
]
