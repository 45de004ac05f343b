"""Course staff's grading of many submissions: ``gradkata batch`` and ``gradkata autograde``.

One submission goes through the same steps in both commands:

    submissions.py  find the submissions in a folder; unpack one (a directory or
                    a zip) into a scratch folder and find its topic modules
    grade_one.py    grade it in a ``pytest`` subprocess of its own, killed at a
                    wall-clock limit; a zero document saying why when it cannot
    assignment.py   (gradkata/assignment.py) points and visibility per exercise
    gradebook.py    the CSV of every submission's scores
    resume.py       content hashes and the manifest that lets a batch resume
    progress.py     the progress line on stderr
    schedule.py     the batch itself: submissions in parallel, resumable

POSIX only: each grading process runs in its own process group, so that a
wall-clock limit can end it together with every process it started.
"""
