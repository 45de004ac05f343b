"""Make ``pytest --impl PATH`` find the course's configuration.

pytest decides its rootdir and ini file before it loads plugins, so it does
not yet know that ``--impl`` takes a value: in ``pytest --impl /elsewhere``
it takes ``/elsewhere`` for a test path, looks for ``pyproject.toml`` above
it, finds none, and loses the course's ``testpaths``, ``addopts`` and
``timeout``. (``--impl=PATH`` has no such problem.) Once the plugin is
loaded, :func:`redo_setup` decides again with ``--impl`` known, and puts
the course's settings back.
"""

from __future__ import annotations

import copy

import pytest


def redo_setup(config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Decide rootdir and ini file again, now that ``--impl`` is a known option.

    Does nothing unless ``--impl VALUE`` (two words) is among ``args`` and
    changes the decision.

    Relies on pytest internals (``determine_setup`` and the config's private
    fields); if they ever change, the learner is told to write ``--impl=PATH``.
    """
    if "--impl" not in args:
        return
    try:
        from _pytest.config.findpaths import determine_setup

        namespace = parser.parse_known_args(args, namespace=copy.copy(config.option))
        rootpath, inipath, inicfg, *_ = determine_setup(
            inifile=namespace.inifilename,
            override_ini=namespace.override_ini,
            args=namespace.file_or_dir,
            rootdir_cmd_arg=namespace.rootdir or None,
            invocation_dir=config.invocation_params.dir,
        )
        if (rootpath, inipath) == (config.rootpath, config.inipath):
            return
        config._rootpath, config._inipath, config._inicfg = rootpath, inipath, inicfg
        config._inicache.clear()
        args[:] = [*config.getini("addopts"), *args]
        config.known_args_namespace = parser.parse_known_args(
            args, namespace=copy.copy(config.option)
        )
        config.known_args_namespace.confcutdir = str(inipath.parent if inipath else rootpath)
    except (ImportError, AttributeError, TypeError, ValueError) as error:
        raise pytest.UsageError(
            f"could not read the course settings with '--impl PATH' ({error}); "
            f"write it as --impl=PATH instead"
        ) from None
