"""LTI 1.3 Advantage: course platforms launch essaygrader and take its grades back.

``keys`` holds the tool's signing keys, ``jose`` checks the platforms' id tokens against
their published keys, ``service`` registers platforms and handles logins, launches and
deep linking, ``passback`` sends scores to a platform's Assignment and Grade Services.
Built on PyJWT: the routes stay in ``web/routes/lti.py`` and the commands in
``cli/lti.py``.
"""
