"""The `ask` command (being built)."""

from assistant.errors import UserError


def add_arguments(parser):
    pass


def run(args, settings):
    raise UserError("The ask command is not available in this build yet.")
