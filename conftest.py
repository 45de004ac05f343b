"""Project-level pytest settings: the hypothesis profiles grading runs use.

The gradkata plugin itself arrives through its ``pytest11`` entry point;
it is never registered here too.
"""

from hypothesis import HealthCheck, Phase, settings

# Both profiles are derandomized and keep no example database, so the same
# code, seed and profile always get the same grade (SPEC §3).
_COMMON = dict(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    # No "explain" phase: it re-runs failing examples to annotate lines,
    # which costs time and says nothing the check's own message does not.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    # Learner code may be slow, and the impl/forbidden fixtures are immutable
    # per test, so these health checks would only ever be false alarms.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=20, **_COMMON)
settings.register_profile("grading", max_examples=100, **_COMMON)
settings.load_profile("dev")
