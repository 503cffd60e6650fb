"""Local skills: what the assistant answers itself, without the language model.

The time and the date (here or in a named city), timers and alarms, "stop" and "say that
again". The final transcript is matched first (`intents.understand`); only what no skill
takes goes to the LLM. Matching is tolerant of what recognizers write: numbers as digits or
words, "10-minute", "a.m.", a stray comma. See docs/ARCHITECTURE.md, "Local skills".
"""
