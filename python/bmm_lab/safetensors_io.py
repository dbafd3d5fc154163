"""A safetensors reader and writer using only numpy and PyTorch (no ``safetensors`` package).

Same rules as the lab's TypeScript codec (src/core/safetensors/): an 8-byte little-endian u64 N, N bytes of JSON
header padded with spaces so 8 + N is a multiple of 8, then the data. The writer puts ``__metadata__`` first and
the tensors in the order given, back to back. The reader validates the whole header (size limit, JSON, dtypes,
shapes, offsets, full coverage without holes or overlaps, string metadata, duplicate keys) before reading data.
"""

import json
import struct

import numpy as np
import torch

DEFAULT_MAX_HEADER_BYTES = 100_000_000
METADATA_KEY = "__metadata__"

# dtype code -> (numpy dtype as stored, bytes per element)
_NP = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # raw bits; numpy has no bfloat16
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}

_FROM_NP = {
    "float64": "F64",
    "float32": "F32",
    "float16": "F16",
    "int64": "I64",
    "int32": "I32",
    "int16": "I16",
    "int8": "I8",
    "uint64": "U64",
    "uint32": "U32",
    "uint16": "U16",
    "uint8": "U8",
    "bool": "BOOL",
}

_TORCH = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


class SafetensorsError(ValueError):
    """A malformed, hostile or unsupported safetensors file."""


def _as_numpy(name, value):
    """(dtype code, little-endian contiguous numpy array) for a tensor or array."""
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        if t.dtype not in _TORCH:
            raise SafetensorsError("tensor %r: unsupported torch dtype %s" % (name, t.dtype))
        code = _TORCH[t.dtype]
        if code == "BF16":
            return code, t.view(torch.int16).numpy().view("<u2")
        return code, t.numpy().astype(_NP[code], order="C", copy=False)
    a = np.asarray(value)
    if a.dtype.name not in _FROM_NP:
        raise SafetensorsError("tensor %r: unsupported numpy dtype %s" % (name, a.dtype))
    code = _FROM_NP[a.dtype.name]
    return code, a.astype(_NP[code], order="C", copy=False)  # (np.ascontiguousarray would make 0-d arrays 1-d)


def encode(tensors, metadata=None):
    """Bytes of a safetensors file from a mapping name -> torch.Tensor | numpy array (order kept)."""
    header = {METADATA_KEY: {}}
    for k, v in (metadata or {}).items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise SafetensorsError("metadata %r: keys and values must be strings, got %r" % (k, type(v).__name__))
        header[METADATA_KEY][k] = v
    blobs, offset = [], 0
    for name, value in tensors.items():
        if not isinstance(name, str) or name == METADATA_KEY:
            raise SafetensorsError("invalid tensor name %r" % (name,))
        code, arr = _as_numpy(name, value)
        raw = arr.tobytes()
        header[name] = {"dtype": code, "shape": [int(d) for d in arr.shape], "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def save_file(tensors, path, metadata=None):
    """Writes tensors (name -> torch.Tensor | numpy array) and string metadata to a safetensors file."""
    with open(path, "wb") as f:
        f.write(encode(tensors, metadata))


def _no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise SafetensorsError("duplicate key %r in the header" % (k,))
        d[k] = v
    return d


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def parse_header(data, max_header_bytes=DEFAULT_MAX_HEADER_BYTES, file_size=None):
    """Validates the header at the start of ``data``; returns (data_start, [(name, code, shape, begin, end)], meta).

    ``file_size`` is the size of the whole file when ``data`` is only its beginning.
    """
    file_size = len(data) if file_size is None else file_size
    if len(data) < 8:
        raise SafetensorsError("file too short: %d bytes, need at least 8 for the header length" % len(data))
    (n,) = struct.unpack("<Q", bytes(data[:8]))
    if n > max_header_bytes:
        raise SafetensorsError("header length %d bytes exceeds the limit of %d bytes" % (n, max_header_bytes))
    if 8 + n > file_size:
        raise SafetensorsError("header length %d bytes is larger than the file (%d bytes in all)" % (n, file_size))
    if len(data) < 8 + n:
        raise SafetensorsError("need the first %d bytes to read the header, got %d" % (8 + n, len(data)))
    try:
        header = json.loads(bytes(data[8 : 8 + n]).decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        raise SafetensorsError("header is not valid UTF-8") from None
    except json.JSONDecodeError as e:
        raise SafetensorsError("header is not valid JSON (%s)" % e) from None
    if not isinstance(header, dict):
        raise SafetensorsError("header must be a JSON object, got %s" % type(header).__name__)
    data_len = file_size - 8 - n
    meta = {}
    entries = []
    for name, e in header.items():
        if name == METADATA_KEY:
            if e is None:
                continue
            if not isinstance(e, dict) or not all(isinstance(v, str) for v in e.values()):
                raise SafetensorsError("%s must be an object of strings" % METADATA_KEY)
            meta = dict(e)
            continue
        if not isinstance(e, dict):
            raise SafetensorsError("tensor %r: entry must be an object" % name)
        for key in ("dtype", "shape", "data_offsets"):
            if key not in e:
                raise SafetensorsError("tensor %r: entry is missing %r" % (name, key))
        code, shape, offs = e["dtype"], e["shape"], e["data_offsets"]
        if not isinstance(code, str) or code not in _NP:
            raise SafetensorsError("tensor %r: unknown dtype %r (supported: %s)" % (name, code, ", ".join(_NP)))
        if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
            raise SafetensorsError("tensor %r: shape %r must be a list of non-negative integers" % (name, shape))
        if not isinstance(offs, list) or len(offs) != 2 or not all(_is_int(o) and o >= 0 for o in offs):
            raise SafetensorsError("tensor %r: data_offsets must be [begin, end], got %r" % (name, offs))
        begin, end = offs
        if begin > end or end > data_len:
            raise SafetensorsError(
                "tensor %r: data_offsets [%d,%d] lie outside the data buffer of %d bytes" % (name, begin, end, data_len)
            )
        size = _NP[code].itemsize
        for d in shape:
            size *= d  # Python ints do not overflow
        if size != end - begin:
            raise SafetensorsError(
                "tensor %r: %s shape %r needs %d bytes but data_offsets span %d" % (name, code, shape, size, end - begin)
            )
        entries.append((name, code, tuple(shape), begin, end))
    entries.sort(key=lambda x: (x[3], x[4]))
    cursor, prev = 0, None
    for name, _, _, begin, end in entries:
        if begin < cursor:
            raise SafetensorsError("tensor %r (bytes %d-%d) overlaps tensor %r" % (name, begin, end, prev))
        if begin > cursor:
            raise SafetensorsError("bytes %d-%d of the data buffer belong to no tensor" % (cursor, begin))
        cursor, prev = end, name
    if cursor != data_len:
        raise SafetensorsError("bytes %d-%d at the end of the data buffer belong to no tensor" % (cursor, data_len))
    return 8 + n, entries, meta


def decode_numpy(data, max_header_bytes=DEFAULT_MAX_HEADER_BYTES):
    """(dict name -> numpy array (copied; BF16 widened to float32), metadata) from file bytes."""
    start, entries, meta = parse_header(data, max_header_bytes)
    out = {}
    for name, code, shape, begin, end in entries:
        a = np.frombuffer(data, dtype=_NP[code], count=(end - begin) // _NP[code].itemsize, offset=start + begin)
        if code == "BF16":
            a = (a.astype(np.uint32) << 16).view(np.float32)
        out[name] = a.reshape(shape).astype(a.dtype.newbyteorder("="), copy=True)
    return out, meta


def load_numpy(path, max_header_bytes=DEFAULT_MAX_HEADER_BYTES):
    """(dict name -> numpy array, metadata) from a safetensors file."""
    with open(path, "rb") as f:
        return decode_numpy(f.read(), max_header_bytes)


def load_file(path, max_header_bytes=DEFAULT_MAX_HEADER_BYTES):
    """(dict name -> torch.Tensor, metadata). BF16 stays bfloat16; U16/U32/U64 (no torch dtype) become int64."""
    with open(path, "rb") as f:
        data = f.read()
    start, entries, meta = parse_header(data, max_header_bytes)
    out = {}
    for name, code, shape, begin, end in entries:
        a = np.frombuffer(data, dtype=_NP[code], count=(end - begin) // _NP[code].itemsize, offset=start + begin)
        a = a.reshape(shape)
        if code == "BF16":
            t = torch.from_numpy(a.astype(np.uint16).view(np.int16)).view(torch.bfloat16)
        elif code in ("U16", "U32"):
            t = torch.from_numpy(a.astype(np.int64))
        elif code == "U64":
            if a.size and int(a.max()) > np.iinfo(np.int64).max:
                raise SafetensorsError("tensor %r: U64 values beyond int64 cannot be loaded into torch" % name)
            t = torch.from_numpy(a.astype(np.int64))
        else:
            t = torch.from_numpy(a.astype(a.dtype.newbyteorder("="), copy=True))
        out[name] = t
    return out, meta
