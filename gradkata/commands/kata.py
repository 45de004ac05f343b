"""``gradkata kata ID --minutes N``: one exercise from a fresh stub, against the clock.

The stub is written under ``.gradkata/kata/`` (the learner's own file is
never touched; see :mod:`gradkata.kata`) and graded on every save, as
``watch`` does, until the time is up or Ctrl-C; then the final card.
"""

from __future__ import annotations

import sys

from ..catalog import Catalog
from ..report.labels import labels_for
from ..words import say
from .common import grade_request, one_exercise
from .output import card_lines, emit, grading_failed, relative
from .watch import add_watch_options, verdict_printer


def add_parser(commands, shared) -> None:
    kata = commands.add_parser("kata", parents=[shared["grading"]],
                               help="one exercise from a fresh stub, against the clock")
    kata.add_argument("id", metavar="ID", help="an exercise id or number")
    kata.add_argument("--minutes", type=float, default=10.0, help="time limit (default 10)")
    add_watch_options(kata)


def run(catalog: Catalog, args) -> int:
    from ..kata import KataError, prepare
    from ..kata import run as run_kata
    from ..status import impl_directory

    ex = one_exercise(catalog, args.id, args.lang)
    source = impl_directory(catalog, args.impl)
    try:
        target, previous = prepare(catalog, ex, source)
    except KataError as error:
        print(f"gradkata: {error}", file=sys.stderr)
        return 2
    minutes = say(args.lang, "kata_minutes", minutes=args.minutes)
    print(say(args.lang, "kata_start", number=ex.number, id=ex.id, minutes=minutes,
              file=relative(target)))
    print(say(args.lang, "kata_safe", folder=relative(source)))
    if previous is not None:
        print(say(args.lang, "kata_previous", file=relative(previous)))
    print(say(args.lang, "watch_warming"), flush=True)
    ticker = _Countdown(args.lang)
    show = verdict_printer(catalog, args)

    def verdict(graded, changed) -> None:
        ticker.clear()
        show(graded, changed)

    final, finished = run_kata(catalog, ex, grade_request(args), args.minutes * 60,
                               on_tick=ticker, on_verdict=verdict, interval=args.interval,
                               debounce=args.debounce)
    ticker.clear()
    print(say(args.lang, "kata_time_up" if finished else "kata_stopped"))
    if final.grade is None:
        return grading_failed(args.lang, final.output)
    emit(card_lines(catalog, final.grade, args, next_location=final.next_location,
                    profile=final.profile))
    return final.exit_code


class _Countdown:
    """The kata's visible clock: a line rewritten every second on a terminal, else one a minute."""

    def __init__(self, lang: str, stream=None):
        self.lang, self.stream = lang, stream or sys.stdout
        self.live = self.stream.isatty()
        self.last_minute: int | None = None

    def __call__(self, remaining: float, latest) -> None:
        seconds = max(0, int(remaining + 0.999))
        clock = f"{seconds // 60:02d}:{seconds % 60:02d}"
        verdict = say(self.lang, "kata_not_graded")
        if latest is not None and latest.grade is not None and latest.grade.exercises:
            g = latest.grade.exercises[0]
            verdict = f"{labels_for(self.lang)[g.state]} {g.score:.1f} / {g.exercise.points:.1f}"
        text = say(self.lang, "kata_left", clock=clock, verdict=verdict)
        if self.live:
            self.stream.write("\r" + text + "\033[K")
            self.stream.flush()
        elif self.last_minute != seconds // 60:
            print(text, file=self.stream, flush=True)
        self.last_minute = seconds // 60

    def clear(self) -> None:
        if self.live:
            self.stream.write("\r\033[K")
            self.stream.flush()
