"""essaygrader: learn a rubric from graded example essays, then grade every essay."""

from __future__ import annotations

__version__ = "0.1.0"
