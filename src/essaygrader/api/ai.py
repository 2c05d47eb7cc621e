"""The AI Grading API, client side: what a course platform and course staff call.

Every method takes and returns JSON-serialisable values. Writes happen in one
transaction each: a request that fails changes nothing. Tasks are handed to the queue
only after that transaction commits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from essaygrader.api.grade_next import GradeNextAPI
from essaygrader.api.grading import GradingAPI
from essaygrader.api.items import ItemsAPI
from essaygrader.api.rescheduling import ReschedulingAPI
from essaygrader.api.reviews import ReviewsAPI
from essaygrader.api.statistics import StatisticsAPI
from essaygrader.api.training import TrainingAPI
from essaygrader.contract import UNSET, GradingService


class AIGradingAPI(
    ItemsAPI, TrainingAPI, GradingAPI, GradeNextAPI, ReviewsAPI, ReschedulingAPI, StatisticsAPI
):
    """Items, training, submissions and their assessments, staff grading and review, what
    to grade next, rescheduling, the backlog and service statistics.

    Args:
        settings: The process settings.
        database: Where records live.
        algorithms: The registered algorithms.
        task_queue: Where training and grading tasks are sent.
    """


if TYPE_CHECKING:

    def _conforms(api: AIGradingAPI) -> GradingService:
        return api


__all__ = ["UNSET", "AIGradingAPI"]
