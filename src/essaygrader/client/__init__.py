"""Clients of a remote essaygrader service."""

from __future__ import annotations

from essaygrader.client.http import HttpClient

__all__ = ["HttpClient"]
