"""``python -m essaygrader`` runs the command line."""

from essaygrader.cli.main import main

main()
