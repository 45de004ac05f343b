"""Learner stubs: one module per topic; each function is yours to implement."""
