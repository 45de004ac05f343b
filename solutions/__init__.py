"""Reference solutions: one module per topic, the same functions as exercises/, implemented."""
