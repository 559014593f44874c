#!/usr/bin/python3
# Correctly rounded sums of the reward sets of sql/qlearn_exact.sql ("exact reward sums"), against
# which qlearn's exact 192-bit sums are checked: the exact rational sum (fractions.Fraction, then
# float(), which rounds correctly), math.fsum where it does not overflow, and the plain
# left-to-right float sum for contrast.  Run: /usr/bin/python3 test/reference/qlearn_exactsum.py
import math
from fractions import Fraction

SETS = {
    "tenths": [0.1] * 10,
    "overflowing": [1e308, 1e308, -1e308],
    "cancelling": [1e16, 1.0, -1e16, 3.0],
    "tiny steps": [1.0] + [1e-16] * 10,
    "subnormal": [2.5e-320, 2.5e-320, 5e-324],
    "cents": [19.99, 5.01, 0.33, -7.77, 100.1, 0.07, -0.02],
    "mixed": [123456789.123, -0.000123, 1e-10, -123456789.0, 7.5, 1e15, -1e15],
    "beyond the exact range": [1e300, 1e-300, -1e300],
}

for name, xs in SETS.items():
    naive = 0.0
    for x in xs:
        naive += x
    try:
        fsum = repr(math.fsum(xs))
    except OverflowError:
        fsum = "(overflow)"
    exact = float(sum(Fraction(x) for x in xs))
    print("%-24s exact %r   fsum %s   left-to-right %r" % (name, exact, fsum, naive))

# How a model stores an exact sum (sql/qlearn_exact.sql, "a sum that is not a float8"):
# hi = the sum rounded, lo = the rest rounded, and when hi + lo still misses the sum, a record
# (transition, e, w0, w1, w2) of the sum as an odd integer M times 2^e, M in three signed 64-bit
# words, lowest first.
for xs in ([1e16, 1.0], [1e16, 1.0, 1e-16]):
    v = sum(Fraction(x) for x in xs)
    hi = float(v)
    lo = float(v - Fraction(hi))
    rest = v - Fraction(hi) - Fraction(lo)
    line = "%r: hi %r lo %r" % (xs, hi, lo)
    if rest != 0:
        e = -(v.denominator.bit_length() - 1)
        M = v.numerator
        while M % 2 == 0:
            M //= 2
            e += 1
        words = [(M >> (64 * k)) & ((1 << 64) - 1) for k in range(3)]
        words = [w - (1 << 64) if w >= 1 << 63 else w for w in words]
        line += "  record [0, %d, %d, %d, %d]" % (e, words[0], words[1], words[2])
    print(line)
