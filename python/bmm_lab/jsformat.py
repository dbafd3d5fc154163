"""JavaScript's text of JSON values: ``String(x)`` and ``JSON.stringify(x)``, for messages and metadata the lab writes.

The TypeScript side builds its error messages with template literals and its metadata with ``String(width)`` and
``JSON.stringify``; Python's ``str`` and ``json.dumps`` differ for numbers (``1.0`` vs ``1``, ``1e-07`` vs ``1e-7``,
``True`` vs ``true``), so messages and files would not match without these.
"""

import json
import math
from decimal import ROUND_HALF_UP, Decimal


def js_number(x):
    """``String(x)`` of a JavaScript number (ECMAScript Number::toString, shortest round-trip digits)."""
    if isinstance(x, bool):
        raise TypeError("js_number takes a number, not a bool")
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"  # String(-0) is "0" too
    sign = "-" if x < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(x))).as_tuple()
    all_digits = "".join(map(str, digit_tuple))
    digits = all_digits.rstrip("0")
    exponent += len(all_digits) - len(digits)
    k = len(digits)
    n = exponent + k  # the value is 0.DIGITS * 10^n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = "%se%s%d" % (mantissa, "+" if e >= 0 else "-", abs(e))
    return sign + text


def js_precision(x, digits):
    """``Number(x.toPrecision(digits))``: ``digits`` significant digits, halves away from zero; non-finite x as is."""
    x = float(x)
    if not math.isfinite(x) or x == 0:
        return x
    exact = Decimal(x)
    quantum = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    return float(exact.quantize(quantum, rounding=ROUND_HALF_UP))


def js_json(value):
    """``JSON.stringify(value)`` without indentation (non-finite numbers become null, as in JavaScript)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number(value) if math.isfinite(float(value)) else "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(js_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + js_json(v) for k, v in value.items()) + "}"
    raise TypeError("no JSON text for %r" % (value,))


def js_string(value):
    """``String(value)`` of a value read from JSON (``undefined`` is passed as the Ellipsis, ``...``)."""
    if value is ...:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ",".join("" if v is None else js_string(v) for v in value)
    return "[object Object]"
