"""Asynchronous execution: the task queue seam, the task procedures, the sweeper, Celery."""
