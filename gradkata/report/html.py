"""The grade as one self-contained HTML page (``gradkata report --html PATH``).

Sections: the grade card; a plot of each failed gradient check (the
learner's gradient against central differences, element by element, the
wrong elements ringed; the check's explanation as the caption); the loss
curve of ``train_classifier`` (or one sentence saying why there is none);
and, for a batch gradebook, the pass rate of each exercise. Inline CSS and
SVG only: no script, no external file, no font to fetch. Every text that
reaches the page is escaped -- error messages and input names come from
the learner's code.
"""

from __future__ import annotations

from ..catalog import Catalog
from ..grading import ExerciseGrade, Grade
from ..training_curve import EXAMPLES, SEED, TrainingCurve
from . import card, svg
from .labels import labels_for
from .passrates import PassRates

NUMERIC_COLOUR = "#1f77b4"  # blue
YOURS_COLOUR = "#ff7f0e"  # orange
WRONG_COLOUR = "#ff3b30"  # bright red rings
LOSS_COLOUR = "#2ca02c"  # green
BAR_COLOUR = "#6f42c1"  # purple
CARD_COLOURS = {"green": "#1a7f37", "red": "#a40e26", "yellow": "#9a6700"}  # unlike the plots'

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #1f2328; }
pre.card { background: #f6f8fa; padding: 1em; line-height: 1.35; overflow-x: auto; }
figure { margin: 1.5em 0; }
figcaption { max-width: 640px; white-space: pre-wrap; font-size: 0.95em; }
""" + "".join(f"pre.card .{name} {{ color: {value}; }}\n" for name, value in CARD_COLOURS.items())


def page(grade: Grade, catalog: Catalog, context: card.CardContext, *,
         training: TrainingCurve | None = None, gradebook: PassRates | None = None) -> str:
    """The whole page. ``training`` None leaves the loss section out; ``gradebook`` None the
    pass-rate chart."""
    words = labels_for(context.lang)
    sections = [_card_section(grade, catalog, context, words),
                _gradcheck_section(grade, words, context.lang)]
    if training is not None:
        sections.append(_training_section(training, words))
    if gradebook is not None:
        sections.append(_gradebook_section(gradebook, words))
    title = svg.escape(words["report_title"])
    return (f'<!DOCTYPE html>\n<html lang="{svg.escape(context.lang)}">\n<head>\n'
            f'<meta charset="utf-8">\n<title>{title}</title>\n<style>{STYLE}</style>\n'
            f"</head>\n<body>\n<h1>{title}</h1>\n" + "\n".join(sections) + "\n</body>\n</html>\n")


def _card_section(grade: Grade, catalog: Catalog, context: card.CardContext, words) -> str:
    lines = []
    for line in card.render(grade, catalog, context):
        text = svg.escape(line.text)
        text = f"<b>{text}</b>" if line.bold else text
        lines.append(f'<span class="{line.colour}">{text}</span>' if line.colour else text)
    body = "\n".join(lines)
    return (f'<section id="card"><h2>{svg.escape(words["card_heading"])}</h2>\n'
            f'<pre class="card">{body}</pre></section>')


def _gradcheck_section(grade: Grade, words, lang: str) -> str:
    figures = [gradcheck_figure(g, words, lang) for g in grade.exercises if g.evidence]
    body = "\n".join(figures) or f"<p>{svg.escape(words['gradchecks_none'])}</p>"
    return (f'<section id="gradchecks"><h2>{svg.escape(words["gradchecks_heading"])}</h2>\n'
            f"{body}</section>")


def gradcheck_figure(g: ExerciseGrade, words, lang: str) -> str:
    """One failed gradient check: yours and the numeric gradient per element, wrong ones ringed."""
    evidence = g.evidence or {}
    indices = evidence.get("indices", [])
    yours = list(zip(indices, evidence.get("analytic", []), strict=False))
    numeric = list(zip(indices, evidence.get("numeric", []), strict=False))
    wrong = [p for p, bad in zip(yours, evidence.get("wrong", []), strict=False) if bad]
    name = evidence.get("input", "?")
    title = f"{g.exercise.number} {g.exercise.id} · {words['input']} {name}"
    chart = svg.xy_chart(
        [svg.Series(words["numeric_series"], numeric, NUMERIC_COLOUR, "line+dots"),
         svg.Series(words["yours_series"], yours, YOURS_COLOUR, "dots")],
        x_label=words["element_axis"], y_label=words["gradient_axis"], title=title,
        ringed=wrong, ring_colour=WRONG_COLOUR, ring_label=words["wrong_series"], whole_x=True)
    shape = tuple(evidence.get("shape", []))
    shown = words["elements_shown"].format(shown=len(indices), total=evidence.get("total", "?"))
    caption = (f"<b>{svg.escape(title)}</b> · {svg.escape(shape)} · {svg.escape(shown)}\n"
               f"{svg.escape(_rendered(evidence.get('explanation', g.output), lang))}")
    return (f'<figure class="gradcheck" data-exercise="{svg.escape(g.exercise.id)}">{chart}'
            f"<figcaption>{caption}</figcaption></figure>")


def _rendered(text: object, lang: str) -> str:
    """A check's explanation in ``lang`` (explanations may know every language)."""
    render = getattr(text, "render", None)
    return render(lang) if callable(render) else str(text)


def _training_section(training: TrainingCurve, words) -> str:
    heading = f'<section id="training"><h2>{svg.escape(words["training_heading"])}</h2>\n'
    if training.problem is not None or not training.losses:
        sentence = _no_curve(training, words)
        return heading + f'<p class="no-curve">{svg.escape(sentence)}</p></section>'
    losses = training.losses
    chart = svg.xy_chart(
        [svg.Series(words["loss_series"], list(enumerate(losses, start=1)), LOSS_COLOUR)],
        x_label=words["epoch_axis"], y_label=words["loss_axis"], title=words["training_heading"],
        whole_x=True)
    caption = words["training_caption"].format(epochs=len(losses), examples=f"{EXAMPLES:,}",
                                               seed=SEED, first=losses[0], last=losses[-1])
    return heading + (f'<figure class="training">{chart}'
                      f"<figcaption>{svg.escape(caption)}</figcaption></figure></section>")


def _no_curve(training: TrainingCurve, words) -> str:
    """One sentence: why there is no loss curve."""
    if training.problem == "todo":
        return words["training_todo"].format(id=training.detail)
    if training.problem == "timeout":
        return words["training_timeout"].format(seconds=training.detail)
    return words["training_failed"].format(detail=training.detail or "no losses")


def _gradebook_section(gradebook: PassRates, words) -> str:
    rows = [(f"{ex.number} {ex.id}", rate) for ex, rate in gradebook.rates]
    chart = svg.bar_chart(rows, value_label=words["pass_rate_axis"],
                          title=words["gradebook_heading"], colour=BAR_COLOUR)
    caption = words["gradebook_caption"].format(submissions=gradebook.submissions)
    return (f'<section id="gradebook"><h2>{svg.escape(words["gradebook_heading"])}</h2>\n'
            f'<figure class="passrates">{chart}<figcaption>{svg.escape(caption)}</figcaption>'
            "</figure></section>")
