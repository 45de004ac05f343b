"""Known-wrong learner implementations, one module per topic."""
