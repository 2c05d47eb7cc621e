"""One small router per resource; each route validates, calls the Python API, returns."""
