"""The AI Grading API: the client side (:mod:`.ai`) and the worker side (:mod:`.ai_worker`).

Every input and output is JSON-serialisable, so the same calls can be made in-process or
over HTTP.
"""
