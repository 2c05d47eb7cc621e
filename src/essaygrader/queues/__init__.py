"""What runs tasks: Celery (one task definition for every broker), the SQLite broker, an
in-process queue for tests and embedding, and the worker process."""
