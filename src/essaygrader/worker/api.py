"""The AI Grading API, worker side: the only door training and grading tasks go through.

Every call is idempotent from a client's point of view: recording the results of a
grading batch again, or ``create_classifiers`` again on a complete workflow, changes
nothing and returns the first result. Workflow rows are locked while they change
(``SELECT ... FOR UPDATE`` on PostgreSQL, in one order; ``BEGIN IMMEDIATE`` serialises
writers on SQLite). Procedures and the API exchange the typed values of
:mod:`essaygrader.worker.params`.
"""

from __future__ import annotations

from essaygrader.worker.grading_api import GradingWorkerAPI
from essaygrader.worker.training_api import TrainingWorkerAPI


class AIWorkerAPI(GradingWorkerAPI, TrainingWorkerAPI):
    """What tasks call: their work, their results, failures, sweeping and heartbeats."""
