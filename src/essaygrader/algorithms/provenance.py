"""Which library versions made a model, recorded in its metadata.

A model is plain data, so a library upgrade cannot break loading it; but it can change
the scores it gives. Keeping the versions lets an operator see why two models of the
same essays differ and decide when to retrain.
"""

from __future__ import annotations

from importlib import metadata

_LIBRARIES = (
    "essaygrader", "numpy", "scipy", "scikit-learn", "lightgbm", "pyspellchecker", "pyphen",
)  # fmt: skip


def library_versions() -> dict[str, str]:
    """Installed version of each library the algorithms depend on ("absent" if none)."""
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions
