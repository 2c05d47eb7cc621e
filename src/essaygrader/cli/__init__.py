"""The ``essaygrader`` command line."""
