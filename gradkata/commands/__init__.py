"""``gradkata`` subcommands, each in a module of its own.

Each module ``gradkata.commands.<name>`` defines ``add_parser(commands,
shared)`` (``shared`` maps "language" and "grading" to the parent parsers of
the common options) and ``run(catalog, args) -> int``; its name is listed in
``gradkata.cli.COMMAND_MODULES``. What several commands share lives beside
them: :mod:`.common` (the grading request, naming exercises, ``UsageProblem``)
and :mod:`.output` (the card in colour, the progress line, short paths).
"""
