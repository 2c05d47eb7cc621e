"""The AI Grading API, client side (:mod:`.ai`), and the task queue port it sends through.

Every input and output is JSON-serialisable, so the same calls can be made in-process or
over HTTP.
"""
