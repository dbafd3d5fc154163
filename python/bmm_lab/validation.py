"""The validation split and the lab's seeded generator, exactly as the lab computes them.

Mirrors ``src/core/validation.ts`` (``holdOut``) and ``src/core/random.ts`` (``Rng``, as far as the split and
G-Blending's probe need it):
- ``Rng``: xoshiro128** with 32-bit state words seeded by splitmix32 (``floor(seed) >>> 0``; an all-zero state gets
  s[0] = 1); ``uniform`` = next_uint32 / 2^32, ``int(n)`` = floor(uniform * n), ``permutation(n)`` Fisher-Yates from
  the last position down (j = int(i + 1)), the same numbers as TF.js's side draw for the same seed;
- ``hold_out(labels, fraction, seed)``: per class (classes in ascending order, all drawing from one generator seeded
  ``(seed ^ 0x5eed5a17) >>> 0``), ``round(fraction * n_c)`` clips held out (JavaScript's ``Math.round``, halves
  up; at least 1 where the class has 2 or more clips and fraction > 0, at most n_c - 1), the first ones of a
  permutation of the class's clips; both lists ascending (the split's order). fraction 0: no validation clips.
"""

import math

MASK = 0xFFFFFFFF
SPLIT_SALT = 0x5EED5A17


def _imul(a, b):
    """Math.imul then >>> 0: the low 32 bits of the product, unsigned."""
    return (a * b) & MASK


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & MASK


def _splitmix32(seed):
    a = seed & MASK

    def next_word():
        nonlocal a
        a = (a + 0x9E3779B9) & MASK
        z = a
        z = _imul(z ^ (z >> 16), 0x85EBCA6B)
        z = _imul(z ^ (z >> 13), 0xC2B2AE35)
        return (z ^ (z >> 16)) & MASK

    return next_word


def js_round(x):
    """JavaScript's Math.round (halves up: 2.5 -> 3, -2.5 -> -2), not Python's banker's rounding."""
    return math.floor(x + 0.5)


class Rng:
    """The lab's generator (``random.ts``): the same stream of numbers for the same seed."""

    def __init__(self, seed):
        if not (isinstance(seed, (int, float)) and math.isfinite(seed)):
            raise ValueError("Rng: seed must be a finite number, got %r" % (seed,))
        next_word = _splitmix32(int(math.floor(seed)) & MASK)
        self.s = [next_word(), next_word(), next_word(), next_word()]
        if all(w == 0 for w in self.s):
            self.s[0] = 1

    def get_state(self):
        return list(self.s)

    def set_state(self, s):
        self.s = [int(w) & MASK for w in s]

    def next_uint32(self):
        s = self.s
        result = _imul(_rotl(_imul(s[1], 5), 7), 9)
        t = (s[1] << 9) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 11)
        return result

    def uniform(self):
        """Uniform in [0, 1)."""
        return self.next_uint32() / 4294967296

    def int(self, n):
        """Uniform integer in [0, n)."""
        return math.floor(self.uniform() * n)

    def permutation(self, n):
        """A uniformly random permutation of 0..n-1 (Fisher-Yates, as ``Rng.permutation``), as a list."""
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.int(i + 1)
            p[i], p[j] = p[j], p[i]
        return p


def hold_out(labels, fraction, seed):
    """(train, val): ascending positions of the clips left for training and of those held out (``holdOut``)."""
    labels = [int(c) for c in labels]
    if not fraction > 0:
        return list(range(len(labels))), []
    rng = Rng((int(seed) ^ SPLIT_SALT) & MASK)
    by_class = {}
    for i, c in enumerate(labels):
        by_class.setdefault(c, []).append(i)
    held = set()
    for c in sorted(by_class):
        clips = by_class[c]
        n = len(clips)
        k = min(n - 1, max(1, js_round(fraction * n))) if n >= 2 else 0
        order = rng.permutation(n)
        for j in range(k):
            held.add(clips[order[j]])
    train = [i for i in range(len(labels)) if i not in held]
    val = [i for i in range(len(labels)) if i in held]
    return train, val
