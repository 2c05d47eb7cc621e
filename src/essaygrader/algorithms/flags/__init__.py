"""Advisory flags on AI assessments: too short, not text, duplicate, copied prompt, off topic.

Pure functions at the algorithms layer (no database): the item profile learned at
training (:mod:`.profile`), MinHash signatures for near copies (:mod:`.text`), and the
checks (:mod:`.checks`).
"""

from __future__ import annotations

from essaygrader.algorithms.flags.checks import FLAG_CODES, Flag, advisory_flags
from essaygrader.algorithms.flags.profile import ItemProfile, build_profile
from essaygrader.algorithms.flags.text import text_signature

__all__ = ["FLAG_CODES", "Flag", "ItemProfile", "advisory_flags", "build_profile", "text_signature"]
