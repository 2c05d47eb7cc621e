"""The one typed contract of the client-side API: its results and the API as a Protocol.

Nothing here touches a database, a broker or a model, so :mod:`essaygrader.client`
imports it without SQLAlchemy, Celery or NumPy.
"""

from essaygrader.contract.results import *  # noqa: F403
from essaygrader.contract.results import __all__ as _results
from essaygrader.contract.service import UNSET, GradingService
from essaygrader.contract.student_data import *  # noqa: F403
from essaygrader.contract.student_data import __all__ as _student_data

__all__ = [*_results, *_student_data, "UNSET", "GradingService"]
