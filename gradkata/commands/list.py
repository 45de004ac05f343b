"""``gradkata list``: the catalogue's topics and exercises, with their numbers and points."""

from __future__ import annotations

from ..catalog import Catalog


def add_parser(commands, shared) -> None:
    commands.add_parser("list", help="list the catalogue's exercises")


def run(catalog: Catalog, args) -> int:
    for topic in catalog.topics:
        print(f"{topic.number} {topic.name} — {topic.title}")
        for ex in topic.exercises:
            print(f"  {ex.number:<6}{ex.id:<40}{ex.points:g} points")
    return 0
