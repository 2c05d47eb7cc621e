"""Staff in the loop: staff assessments, assessment histories, and the review queue."""

from __future__ import annotations

from fastapi import APIRouter

from essaygrader.contract import AssessmentOut, AssessmentsList, ReviewsPage
from essaygrader.domain.access import Principal
from essaygrader.errors import NotFoundError
from essaygrader.web.access import Grader, ItemReviewer, hide_foreign
from essaygrader.web.deps import APIDep
from essaygrader.web.schemas.common import Limit, Offset
from essaygrader.web.schemas.reviews import ReviewIn, StaffAssessmentIn

router = APIRouter(tags=["staff grading"])

ITEM = "/courses/{course_id}/items/{item_id}"


def _reach(principal: Principal, api: APIDep, submission_uuid: str) -> None:
    """Raise the missing submission's 404 for another course's submission."""
    submission = api.get_submission(submission_uuid)
    hide_foreign(
        principal,
        submission["course_id"],
        NotFoundError(
            f"no submission {submission_uuid!r}",
            field="submission_uuid",
            code="submission_not_found",
        ),
    )


@router.post(
    "/submissions/{submission_uuid}/staff-assessment",
    status_code=201,
    response_model=AssessmentOut,
    summary="Grade a submission as staff",
)
def create_staff_assessment(
    principal: Grader, submission_uuid: str, body: StaffAssessmentIn, api: APIDep
) -> AssessmentOut:
    """Record a staff assessment, scored by the token's name. It becomes the submission's
    current assessment (overriding any AI one) and a training example for training from
    graded submissions."""
    _reach(principal, api, submission_uuid)
    return api.create_staff_assessment(
        submission_uuid,
        body.options_selected,
        feedback=body.feedback,
        overall_feedback=body.overall_feedback,
        scorer_id=principal.name,
    )


@router.get(
    "/submissions/{submission_uuid}/assessments",
    response_model=AssessmentsList,
    summary="Every assessment of a submission",
)
def list_assessments(principal: Grader, submission_uuid: str, api: APIDep) -> AssessmentsList:
    """The full history, newest first: AI assessments (held ones too) and staff ones."""
    _reach(principal, api, submission_uuid)
    return api.list_assessments(submission_uuid)


@router.post(
    "/submissions/{submission_uuid}/review",
    response_model=AssessmentOut,
    summary="Confirm a held AI assessment",
)
def review_assessment(
    principal: Grader, submission_uuid: str, body: ReviewIn, api: APIDep
) -> AssessmentOut:
    """Release the AI assessment held for review; 409 when none is held."""
    _reach(principal, api, submission_uuid)
    return api.review_assessment(submission_uuid, body.action, reviewer_id=principal.name)


@router.get(f"{ITEM}/review", response_model=ReviewsPage, summary="AI grades held for review")
def list_reviews(
    item: ItemReviewer, api: APIDep, offset: Offset = 0, limit: Limit = 100
) -> ReviewsPage:
    """The item's AI assessments held for review, oldest first, with flags and the lowest
    confidence."""
    return api.list_reviews(item.course_id, item.item_id, offset=offset, limit=limit)
