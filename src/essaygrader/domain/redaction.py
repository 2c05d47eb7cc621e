"""Server details taken out of error text shown to callers who do not run the server.

A workflow's ``last_error`` is written by a worker for whoever fixes the cause, and can
name files (``/var/lib/essaygrader/classifiers/...``), URLs and hosts. Operators (admin
tokens) see it whole; everyone else sees it with those replaced by placeholders, and the
worker's log keeps the full text for the operator in every case.
"""

from __future__ import annotations

import re

_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>()\[\]]*")
# An absolute path of two segments or more, not the tail of a relative one ("a/b").
_POSIX_PATH = re.compile(r"(?<![\w.~/-])(?:~/|/)(?:[^\s'\":/<>]+/)+[^\s'\":/<>]*")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\[^\s'\"<>]*")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b")

PATH = "<path>"
URL = "<url>"
HOST = "<host>"


def without_server_details(text: str) -> str:
    """``text`` with URLs, absolute file paths and IP addresses replaced by placeholders."""
    text = _URL.sub(URL, text)
    text = _WINDOWS_PATH.sub(PATH, text)
    text = _POSIX_PATH.sub(PATH, text)
    return _IPV4.sub(HOST, text)
