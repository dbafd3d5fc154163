"""The lab's generator and validation split in Python, against values the TS code computes (random.ts, validation.ts)."""

import unittest

import support  # noqa: F401  (puts python/ on sys.path)

from bmm_lab.validation import Rng, hold_out, js_round  # noqa: E402


class Generator(unittest.TestCase):
    def test_the_stream_of_the_lab(self):
        r = Rng(7)
        self.assertEqual([r.next_uint32() for _ in range(3)], [1004282400, 2200021487, 1928073449])
        self.assertEqual(Rng(42).permutation(10), [2, 8, 3, 4, 9, 7, 5, 0, 1, 6])

    def test_uniform_int_and_state(self):
        a, b = Rng(7), Rng(7)
        self.assertEqual(a.uniform(), 1004282400 / 2**32)
        self.assertEqual(b.int(10), int(1004282400 / 2**32 * 10))
        c = Rng(3)
        c.set_state(a.get_state())
        self.assertEqual(c.next_uint32(), a.next_uint32())
        # floor(seed) >>> 0: a negative seed is its 32-bit two's complement.
        self.assertEqual(Rng(-1).get_state(), Rng(2**32 - 1).get_state())
        self.assertEqual(Rng(5.7).get_state(), Rng(5).get_state())
        with self.assertRaisesRegex(ValueError, "seed must be a finite number"):
            Rng(float("nan"))

    def test_permutations_are_permutations(self):
        r = Rng(1)
        for n in (0, 1, 2, 17):
            self.assertEqual(sorted(r.permutation(n)), list(range(n)))


class HoldOut(unittest.TestCase):
    def test_values_of_the_lab(self):
        self.assertEqual(hold_out([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 0, 1], 0.34, 5), ([0, 1, 2, 3, 5, 6, 7, 11, 12, 14], [4, 8, 9, 10, 13]))
        self.assertEqual(hold_out([1, 0, 1, 0, 1, 0, 1, 0, 1, 1], 0.25, 0), ([2, 3, 5, 6, 7, 8, 9], [0, 1, 4]))

    def test_no_fraction_holds_nothing_out(self):
        self.assertEqual(hold_out([0, 1, 0, 1], 0, 3), ([0, 1, 2, 3], []))
        self.assertEqual(hold_out([], 0.5, 3), ([], []))

    def test_a_class_of_one_clip_stays_in_training_and_every_class_keeps_one(self):
        train, val = hold_out([0, 1, 1, 1], 0.5, 9)
        self.assertIn(0, train)
        self.assertEqual(len(val), 2)  # round(0.5 * 3) = 2 of class 1 (halves up)
        # At least one where a class has 2 (0.1 * 2 rounds to 0) and at most n - 1 (0.5 of 2 is 1 anyway).
        train, val = hold_out([0, 0, 1, 1], 0.1, 4)
        self.assertEqual((len(train), len(val)), (2, 2))
        self.assertEqual(sorted(val), val)
        self.assertEqual(sorted([0, 0, 1, 1][i] for i in val), [0, 1])

    def test_round_is_javascripts(self):
        self.assertEqual([js_round(x) for x in (0.5, 1.5, 2.5, -0.5, 2.4999)], [1, 2, 3, 0, 2])
        # 10 clips of one class at 0.25: 2.5 rounds to 3 (Python's round gives 2).
        _, val = hold_out([0] * 10, 0.25, 1)
        self.assertEqual(len(val), 3)


if __name__ == "__main__":
    unittest.main()
