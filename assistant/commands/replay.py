"""The `replay` command (being built)."""

from assistant.errors import UserError


def add_arguments(parser):
    pass


def run(args, settings):
    raise UserError("The replay command is not available in this build yet.")
