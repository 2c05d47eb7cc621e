"""Request and response schemas of the HTTP API, apart from the database models."""
