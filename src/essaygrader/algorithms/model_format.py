"""The stored form of a classifier: a small envelope around :class:`ModelData`.

Layout: the magic line ``ESSAYGRADER-MODEL 1\\n``, a 4-byte big-endian header length, a
UTF-8 JSON header (algorithm id, format version, metadata, payload length and sha256),
then the payload bytes. Nothing in it is executed when it is read: the header is JSON and
the payload is handed to the algorithm's ``from_model``, which parses it as data.

Algorithms that keep NumPy arrays can use :func:`pack_arrays` and :func:`unpack_arrays`,
which read with ``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
from typing import Any

import numpy as np

from essaygrader.algorithms.base import ModelData
from essaygrader.errors import InternalError

MAGIC = b"ESSAYGRADER-MODEL 1\n"
_HEADER_LENGTH = struct.Struct(">I")
MAX_HEADER_BYTES = 16 * 1024 * 1024


def encode_model(model: ModelData) -> bytes:
    """Serialise a model to the bytes that the blob store keeps."""
    header = {
        "algorithm_id": model.algorithm_id,
        "format_version": model.format_version,
        "metadata": model.metadata,
        "payload_bytes": len(model.payload),
        "payload_sha256": hashlib.sha256(model.payload).hexdigest(),
    }
    header_bytes = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    return MAGIC + _HEADER_LENGTH.pack(len(header_bytes)) + header_bytes + model.payload


def decode_model(data: bytes) -> ModelData:
    """Parse bytes made by :func:`encode_model`.

    Raises:
        InternalError: ``algorithm_load_error``; the bytes are not a complete, consistent model
            envelope.
    """
    if not data.startswith(MAGIC):
        raise InternalError(
            "not an essaygrader model (bad magic bytes)", code="algorithm_load_error"
        )
    start = len(MAGIC) + _HEADER_LENGTH.size
    if len(data) < start:
        raise InternalError("model is truncated (no header length)", code="algorithm_load_error")
    (header_length,) = _HEADER_LENGTH.unpack(data[len(MAGIC) : start])
    if header_length > MAX_HEADER_BYTES or start + header_length > len(data):
        raise InternalError(
            "model is truncated or its header length is corrupt", code="algorithm_load_error"
        )
    try:
        header = json.loads(data[start : start + header_length])
        payload = data[start + header_length :]
        model = ModelData(
            algorithm_id=str(header["algorithm_id"]),
            format_version=int(header["format_version"]),
            metadata=dict(header["metadata"]),
            payload=payload,
        )
        expected_length = int(header["payload_bytes"])
        expected_sha = str(header["payload_sha256"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InternalError(
            f"model header is malformed: {exc}", code="algorithm_load_error"
        ) from exc
    if len(payload) != expected_length or hashlib.sha256(payload).hexdigest() != expected_sha:
        raise InternalError(
            "model payload does not match its header checksum", code="algorithm_load_error"
        )
    return model


def pack_arrays(arrays: dict[str, np.ndarray[Any, Any]]) -> bytes:
    """Pack named NumPy arrays (numeric or fixed-width string dtypes) into bytes."""
    for name, array in arrays.items():
        if array.dtype == object:
            raise ValueError(f"array {name!r} has dtype object, which cannot be stored safely")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def unpack_arrays(data: bytes) -> dict[str, np.ndarray[Any, Any]]:
    """Read arrays packed by :func:`pack_arrays`, refusing pickled content.

    Raises:
        InternalError: ``algorithm_load_error``; the bytes are not a valid array archive.
    """
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except Exception as exc:
        # Damaged archives fail deep inside zipfile, zlib or NumPy's header parser, each
        # with its own exception type; to a caller they all mean the same thing.
        raise InternalError(
            f"model arrays are malformed: {exc}", code="algorithm_load_error"
        ) from exc
