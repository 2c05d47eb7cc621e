"""The stored form of a classifier: a small envelope around :class:`ModelData`.

Layout: the magic line ``ESSAYGRADER-MODEL 1\\n``, a 4-byte big-endian header length, a
UTF-8 JSON header (algorithm id, format version, metadata, payload length and sha256),
then the payload bytes. Nothing in it is executed when it is read: the header is JSON and
the payload is handed to the algorithm's ``from_model``, which parses it as data.

Algorithms that keep NumPy arrays can use :func:`pack_arrays` and :func:`unpack_arrays`,
which read with ``allow_pickle=False``, and JSON payloads :func:`load_json`.

A stored model is untrusted input: a blob store can be written by others, and a model
can be damaged. Readers bound what a model can make them do before any parser runs: the
header's size, JSON's nesting depth, and the unpacked size of every array, read from the
archive's directory and each array's header before a byte of its data is inflated.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
import zipfile
from typing import IO, Any

import numpy as np

from essaygrader.algorithms.base import ModelData
from essaygrader.errors import InternalError

MAGIC = b"ESSAYGRADER-MODEL 1\n"
_HEADER_LENGTH = struct.Struct(">I")
MAX_HEADER_BYTES = 16 * 1024 * 1024
# Models nest their metadata three or four levels deep.
MAX_JSON_DEPTH = 32
# The largest model the benchmark makes (``default`` or ``ease`` on the 1,783 essays of
# ASAP prompt 1) unpacks to 13 MB, its largest array to 12 MB; the vocabularies grow
# more slowly than the essays, so twenty times that covers the 50,000-example limit.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_ARRAYS = 64
MAX_NPY_HEADER_BYTES = 10_000
# Numbers, booleans and fixed-width strings; never objects (pickles) or records.
ARRAY_KINDS = frozenset("biufSU")


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
        InternalError: ``algorithm_load_error``; the bytes are not a complete, consistent
            model envelope.
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
    header = load_json(data[start : start + header_length], what="model header")
    try:
        payload = data[start + header_length :]
        model = ModelData(
            algorithm_id=str(header["algorithm_id"]),
            format_version=int(header["format_version"]),
            metadata=dict(header["metadata"]),
            payload=payload,
        )
        expected_length = int(header["payload_bytes"])
        expected_sha = str(header["payload_sha256"])
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
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


def load_json(data: bytes, *, what: str, max_bytes: int = MAX_HEADER_BYTES) -> Any:
    """Parse JSON from a model, refusing it when too large or too deeply nested.

    Args:
        data: The JSON text, UTF-8.
        what: What the JSON is, for the message (``"model header"``).
        max_bytes: The longest JSON accepted.

    Raises:
        InternalError: ``algorithm_load_error``; the JSON is too long, nested deeper than
            :data:`MAX_JSON_DEPTH`, or not valid.
    """
    if len(data) > max_bytes:
        raise InternalError(
            f"{what} is malformed: {len(data):,} bytes, over the limit of {max_bytes:,}",
            code="algorithm_load_error",
        )
    try:
        value = json.loads(data)
    except RecursionError as exc:
        # The parser recurses once per level; deep nesting is the data's fault, and no
        # retry will parse it.
        raise InternalError(
            f"{what} is malformed: nested too deeply to parse", code="algorithm_load_error"
        ) from exc
    except ValueError as exc:
        raise InternalError(f"{what} is malformed: {exc}", code="algorithm_load_error") from exc
    if _nesting(value) > MAX_JSON_DEPTH:
        raise InternalError(
            f"{what} is malformed: nested more than {MAX_JSON_DEPTH} levels deep",
            code="algorithm_load_error",
        )
    return value


def _nesting(value: Any) -> int:
    """How deeply lists and objects nest in parsed JSON, counted without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in item)
    return deepest


def unpack_arrays(data: bytes) -> dict[str, np.ndarray[Any, Any]]:
    """Read arrays packed by :func:`pack_arrays`, refusing pickled content.

    Every array's size is known before its data is inflated: the archive's directory
    declares each member's unpacked size, which must add up to at most
    :data:`MAX_UNPACKED_BYTES`, and each array's header (shape and dtype) must account
    for its member exactly. Reading never goes past a declared size.

    Raises:
        InternalError: ``algorithm_load_error``; the bytes are not a valid array
            archive, or it unpacks to more than the limits allow.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_members(members)
            arrays = {}
            for member in members:
                with archive.open(member) as stream:
                    _check_array_header(stream, member)
                with archive.open(member) as stream:
                    arrays[member.filename.removesuffix(".npy")] = np.lib.format.read_array(
                        stream, allow_pickle=False, max_header_size=MAX_NPY_HEADER_BYTES
                    )
            return arrays
    except InternalError:
        raise
    except Exception as exc:
        # Damaged archives fail deep inside zipfile, zlib or NumPy's header parser, each
        # with its own exception type; to a caller they all mean the same thing.
        raise InternalError(
            f"model arrays are malformed: {exc}", code="algorithm_load_error"
        ) from exc


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    """Refuse an archive whose directory declares too much or anything but arrays."""
    if len(members) > MAX_ARRAYS:
        raise _malformed(f"{len(members)} arrays, over the limit of {MAX_ARRAYS}")
    names = [member.filename for member in members]
    if len(set(names)) != len(names) or not all(name.endswith(".npy") for name in names):
        raise _malformed("expected distinct .npy members")
    if any(m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for m in members):
        raise _malformed("unexpected compression")
    unpacked, limit = sum(member.file_size for member in members), MAX_UNPACKED_BYTES
    if unpacked > limit:
        raise _malformed(f"they unpack to {unpacked:,} bytes, over the limit of {limit:,}")


def _check_array_header(stream: IO[bytes], member: zipfile.ZipInfo) -> None:
    """Refuse an array whose dtype is not plain data or whose header and size disagree."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        header = np.lib.format.read_array_header_1_0(stream, MAX_NPY_HEADER_BYTES)
    elif version == (2, 0):
        header = np.lib.format.read_array_header_2_0(stream, MAX_NPY_HEADER_BYTES)
    else:
        raise _malformed(f"{member.filename!r} has npy version {version}")
    shape, _, dtype = header
    if dtype.hasobject or dtype.kind not in ARRAY_KINDS or dtype.fields is not None:
        raise _malformed(f"{member.filename!r} has dtype {dtype}, which is not plain data")
    if any(dimension < 0 for dimension in shape):
        raise _malformed(f"{member.filename!r} has shape {shape}")
    size = math.prod(shape) * dtype.itemsize
    if stream.tell() + size != member.file_size:
        raise _malformed(
            f"{member.filename!r} of shape {shape} and dtype {dtype} needs {size:,} bytes, "
            f"but its member holds {member.file_size - stream.tell():,}"
        )


def _malformed(reason: str) -> InternalError:
    return InternalError(f"model arrays are malformed: {reason}", code="algorithm_load_error")
