"""Is the user done? An end-of-turn model (Smart Turn v3.2) that hears from the voice whether
a sentence is finished, asked at each pause; the conversation keeps the turn open while it
says no (see assistant/conversation/turn_machine.py)."""
