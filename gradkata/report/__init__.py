"""Renderings of a grade: the terminal card and Gradescope JSON."""
