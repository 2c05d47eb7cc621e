"""Benchmarks: scoring accuracy on public essay sets (:mod:`.accuracy`), speed, model size."""
