"""Classifier sets as grading reads them, remembered by each worker process.

A classifier set never changes once recorded, so a process reads each one once: a
grading task of one essay then costs two short transactions on the workflow rows, not
several queries for the set, its classifiers and its rubric.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from essaygrader.algorithms.flags import ItemProfile
from essaygrader.api.records import rubric_of
from essaygrader.db.models import ClassifierSetRecord
from essaygrader.domain.rubric import Rubric
from essaygrader.worker.params import ClassifierSetSpec, StoredClassifier

log = logging.getLogger(__name__)

MAX_REMEMBERED = 1024
# A profile holds at most 3,000 terms and the prompt's shingle hashes: well under this.
MAX_PROFILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class KnownSet:
    """A recorded classifier set: what grading needs to score with it and to record.

    Attributes:
        spec: Its classifiers, algorithm and valid points.
        course_id: The course of the item it was trained for.
        item_id: That item.
        rubric_id: The rubric record it was trained on.
        rubric: That rubric.
    """

    spec: ClassifierSetSpec
    course_id: str
    item_id: str
    rubric_id: int
    rubric: Rubric


_remembered: OrderedDict[str, KnownSet] = OrderedDict()
_lock = threading.Lock()


def known_sets(session: Session, uuids: Iterable[str]) -> dict[str, KnownSet]:
    """The sets named, read from the database only the first time; unknown ids are left
    out."""
    wanted = set(uuids)
    found: dict[str, KnownSet] = {}
    with _lock:
        for uuid in wanted:
            if uuid in _remembered:
                _remembered.move_to_end(uuid)
                found[uuid] = _remembered[uuid]
    missing = wanted - found.keys()
    if missing:
        for record in session.scalars(
            select(ClassifierSetRecord).where(ClassifierSetRecord.uuid.in_(missing))
        ):
            found[record.uuid] = _known(record)
        with _lock:
            for uuid in missing & found.keys():
                _remembered[uuid] = found[uuid]
            while len(_remembered) > MAX_REMEMBERED:
                _remembered.popitem(last=False)
    return found


def _known(record: ClassifierSetRecord) -> KnownSet:
    rubric = rubric_of(record.rubric)
    spec = ClassifierSetSpec(
        uuid=record.uuid,
        algorithm_id=record.algorithm_id,
        classifiers={
            c.criterion: StoredClassifier(c.blob_key, c.sha256, c.size_bytes, c.format_version)
            for c in record.classifiers
        },
        valid_points={c.name: tuple(c.valid_points) for c in rubric.scored_criteria},
        profile=_profile(record),
    )
    return KnownSet(spec, record.course_id, record.item_id, record.rubric_id, rubric)


def _profile(record: ClassifierSetRecord) -> ItemProfile | None:
    """The set's item profile, bounded and checked; None when it has none or it is unfit.

    Flags only advise, so a damaged profile costs the profile's flags (logged), not the
    essays' grades.
    """
    if record.profile is None:
        return None
    try:
        size = len(json.dumps(record.profile))
        if size > MAX_PROFILE_BYTES:
            raise ValueError(f"{size:,} bytes, more than {MAX_PROFILE_BYTES:,}")
        return ItemProfile.from_json(record.profile)
    except (ValueError, TypeError) as exc:
        log.error(
            "classifier set %s: item profile not loaded, grading without it: %s", record.uuid, exc
        )
        return None
