"""Training: graded examples in, training workflows and classifier sets out."""

from __future__ import annotations

from fastapi import APIRouter

from essaygrader.contract import (
    ClassifierSetOut,
    ClassifierSetsPage,
    ExamplesCheck,
    TrainingStarted,
    TrainingWorkflowOut,
    TrainingWorkflowsPage,
)
from essaygrader.errors import NotFoundError
from essaygrader.web.access import (
    ItemTrainer,
    TrainingReader,
    TrainingWorkflowReader,
    hide_foreign,
    readable_workflow,
)
from essaygrader.web.deps import APIDep
from essaygrader.web.schemas.common import IdempotencyKey, Limit, Offset
from essaygrader.web.schemas.training import ExamplesCheckRequest, TrainingRequest

router = APIRouter(tags=["training"])

ITEM = "/courses/{course_id}/items/{item_id}"


@router.post(
    f"{ITEM}/training",
    status_code=202,
    response_model=TrainingStarted,
    summary="Train the item's classifiers",
)
def train_classifiers(
    item: ItemTrainer,
    body: TrainingRequest,
    api: APIDep,
    idempotency_key: IdempotencyKey = None,
) -> TrainingStarted:
    """Store graded examples and schedule training of one classifier per scored criterion.

    With ``from_graded_submissions``, the item's staff-graded submissions are examples too.
    """
    return api.train_classifiers(
        item.course_id,
        item.item_id,
        [example.model_dump() for example in body.examples],
        from_graded_submissions=body.from_graded_submissions,
        algorithm_id=body.algorithm_id,
        idempotency_key=idempotency_key,
        idempotency_owner=item.principal.token_uuid,
    )


@router.post(
    f"{ITEM}/training/check", response_model=ExamplesCheck, summary="Check training examples"
)
def check_training_examples(
    item: ItemTrainer, body: ExamplesCheckRequest, api: APIDep
) -> ExamplesCheck:
    """Validate examples without storing anything, reporting every invalid one."""
    return api.check_training_examples(item.course_id, item.item_id, body.examples)


@router.get(f"{ITEM}/training", response_model=TrainingWorkflowsPage, summary="Item's training")
def list_training_workflows(
    item: TrainingReader, api: APIDep, offset: Offset = 0, limit: Limit = 100
) -> TrainingWorkflowsPage:
    """The item's training workflows, newest first."""
    page = api.list_training_workflows(item.course_id, item.item_id, offset=offset, limit=limit)
    for workflow in page["training_workflows"]:
        readable_workflow(item.principal, workflow)
    return page


@router.get(
    "/workflows/training/{workflow_uuid}",
    response_model=TrainingWorkflowOut,
    summary="Get a training workflow",
)
def get_training_workflow(
    principal: TrainingWorkflowReader, workflow_uuid: str, api: APIDep
) -> TrainingWorkflowOut:
    """A training workflow's status, attempts, last error and progress."""
    workflow = api.get_training_workflow(workflow_uuid)
    hide_foreign(
        principal,
        workflow["course_id"],
        NotFoundError(
            f"no training workflow {workflow_uuid!r}",
            field="workflow_uuid",
            code="training_workflow_not_found",
        ),
    )
    return readable_workflow(principal, workflow)


@router.get(
    f"{ITEM}/classifier-set",
    response_model=ClassifierSetOut | None,
    summary="The classifier set grading the item",
)
def get_classifier_set_info(item: TrainingReader, api: APIDep) -> ClassifierSetOut | None:
    """The set that grades the item now, with its quality metrics; null before training."""
    return api.get_classifier_set_info(item.course_id, item.item_id)


@router.get(
    f"{ITEM}/classifier-sets", response_model=ClassifierSetsPage, summary="Item's classifier sets"
)
def list_classifier_sets(
    item: TrainingReader, api: APIDep, offset: Offset = 0, limit: Limit = 100
) -> ClassifierSetsPage:
    """Every classifier set trained for the item, newest first, with quality metrics."""
    return api.list_classifier_sets(item.course_id, item.item_id, offset=offset, limit=limit)
