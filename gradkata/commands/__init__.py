"""``gradkata`` subcommands that live in a module of their own.

Each module ``gradkata.commands.<name>`` defines ``add_parser(commands,
shared)`` (``shared`` maps "language" and "grading" to the parent parsers of
the common options) and ``run(catalog, args) -> int``; its name is listed in
``gradkata.cli.COMMAND_MODULES``.
"""
