/*-------------------------------------------------------------------------
 *
 * exactsum.c
 *	  Exact sums of float8 rewards, so that a Q table learnt from logs does
 *	  not depend on the order in which the rows arrive.
 *
 * Floating-point addition is not associative: summing the same rewards in
 * another order (another plan, another partition of the work between
 * parallel workers) changes the last bits of the sum, and with it the Q
 * values.  qlearn promises the same result for any row order, so it keeps
 * each reward sum exactly.
 *
 * Every finite double is an integer times a power of two, m 2^e with
 * |m| < 2^53.  A sum of doubles is therefore an integer on the grid of the
 * finest of their exponents.  QExact holds that integer in 192 bits (three
 * 64-bit words, two's complement) together with its grid exponent e.  Adding
 * a double moves the sum onto the finer of the two grids (a left shift) and
 * adds the integers: no rounding at all, as long as the integer keeps below
 * 2^189.  Rewards of one (state, action, next state) with a ratio of
 * magnitudes below about 2^130 (say cents next to 10^27) and fewer than 2^60
 * rows never get near it.  Past it the grid is coarsened with rounding to
 * nearest even: the sum is then as good as float8 summation, but no longer
 * guaranteed order-free -- documented, and never the case for money.
 *
 * The value of a sum is rounded to a double once, correctly (to nearest,
 * ties to even), so equal exact sums give equal doubles.  For the flat form
 * an exact sum is normalised (odd integer, or zero with e = 0), which makes
 * it canonical.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "port/pg_bitutils.h"

#include "mq_qlearn.h"

/* the largest bit length an aligned operand may have on the exact path */
#define QX_MAX_BITS 189

/* ------------------------------------------------------ 192-bit helpers */

/* Is the 192-bit value zero? */
static inline bool
u_zero(const uint64 *u)
{
	return (u[0] | u[1] | u[2]) == 0;
}

/* Is the two's-complement value negative? */
static inline bool
s_negative(const uint64 *w)
{
	return (w[2] >> 63) != 0;
}

/* Two's-complement negation in place. */
static inline void
s_negate(uint64 *w)
{
	w[0] = ~w[0];
	w[1] = ~w[1];
	w[2] = ~w[2];
	if (++w[0] == 0 && ++w[1] == 0)
		++w[2];
}

/* w += v (192 bits, modulo 2^192). */
static inline void
u_add(uint64 *w, const uint64 *v)
{
	uint64		c = 0;
	int			i;

	for (i = 0; i < 3; i++)
	{
		uint64		s = w[i] + c;
		uint64		c1 = s < c;

		w[i] = s + v[i];
		c = c1 + (w[i] < s);
	}
}

/* Number of significant bits of an unsigned value (0 for zero). */
static inline int
u_bitlen(const uint64 *u)
{
	if (u[2])
		return 128 + pg_leftmost_one_pos64(u[2]) + 1;
	if (u[1])
		return 64 + pg_leftmost_one_pos64(u[1]) + 1;
	if (u[0])
		return pg_leftmost_one_pos64(u[0]) + 1;
	return 0;
}

/* Number of trailing zero bits of a non-zero unsigned value. */
static inline int
u_ctz(const uint64 *u)
{
	if (u[0])
		return pg_rightmost_one_pos64(u[0]);
	if (u[1])
		return 64 + pg_rightmost_one_pos64(u[1]);
	return 128 + pg_rightmost_one_pos64(u[2]);
}

/* u <<= k for 0 <= k < 192 (bits shifted out are lost: callers check first). */
static void
u_shl(uint64 *u, int k)
{
	uint64		r[3] = {0, 0, 0};
	int			words = k / 64,
				bits = k % 64,
				i;

	for (i = 2; i >= words; i--)
	{
		uint64		v = u[i - words] << bits;

		if (bits && i - words - 1 >= 0)
			v |= u[i - words - 1] >> (64 - bits);
		r[i] = v;
	}
	u[0] = r[0];
	u[1] = r[1];
	u[2] = r[2];
}

/* u >>= k for k >= 0, truncating. */
static void
u_shr(uint64 *u, int64 k)
{
	uint64		r[3] = {0, 0, 0};
	int			words,
				bits,
				i;

	if (k >= 192)
	{
		u[0] = u[1] = u[2] = 0;
		return;
	}
	words = (int) k / 64;
	bits = (int) k % 64;
	for (i = 0; i + words < 3; i++)
	{
		uint64		v = u[i + words] >> bits;

		if (bits && i + words + 1 < 3)
			v |= u[i + words + 1] << (64 - bits);
		r[i] = v;
	}
	u[0] = r[0];
	u[1] = r[1];
	u[2] = r[2];
}

/* Is bit k (0-based) of u set?  False past the top. */
static inline bool
u_bit(const uint64 *u, int64 k)
{
	if (k < 0 || k >= 192)
		return false;
	return ((u[k / 64] >> (k % 64)) & 1) != 0;
}

/* Are any of the bits below bit k set? */
static bool
u_any_below(const uint64 *u, int64 k)
{
	int			i;

	if (k <= 0)
		return false;
	if (k >= 192)
		return !u_zero(u);
	for (i = 0; i < k / 64; i++)
		if (u[i])
			return true;
	if (k % 64 && (u[k / 64] & ((UINT64CONST(1) << (k % 64)) - 1)))
		return true;
	return false;
}

/* u >>= k (k > 0) rounded to nearest, ties to even. */
static void
u_shr_round(uint64 *u, int64 k)
{
	bool		half = u_bit(u, k - 1);
	bool		sticky = u_any_below(u, k - 1);
	static const uint64 one[3] = {1, 0, 0};

	u_shr(u, k);
	if (half && (sticky || (u[0] & 1)))
		u_add(u, one);
}

/* The magnitude of a and whether it is negative. */
static inline bool
qx_magnitude(const QExact *a, uint64 *u)
{
	bool		neg = s_negative(a->w);

	u[0] = a->w[0];
	u[1] = a->w[1];
	u[2] = a->w[2];
	if (neg)
		s_negate(u);
	return neg;
}

/* Move magnitude u from grid exponent e to grid exponent to (rounding when coarser). */
static void
u_regrid(uint64 *u, int64 e, int64 to)
{
	if (to < e)
		u_shl(u, (int) (e - to));
	else if (to > e)
		u_shr_round(u, to - e);
}

/* ------------------------------------------------------------ the API */

/* a += b. */
void
qx_add(QExact *a, const QExact *b)
{
	uint64		ua[3],
				ub[3];
	bool		na,
				nb;
	int			la,
				lb;
	int64		lo,
				need;

	if (u_zero(b->w))
		return;
	if (u_zero(a->w))
	{
		*a = *b;
		return;
	}
	na = qx_magnitude(a, ua);
	nb = qx_magnitude(b, ub);
	la = u_bitlen(ua);
	lb = u_bitlen(ub);
	lo = Min(a->e, b->e);
	need = Max(la + (a->e - lo), lb + (b->e - lo));
	if (need > QX_MAX_BITS)
		lo += need - QX_MAX_BITS;	/* coarsen: rounds the finer operand */
	u_regrid(ua, a->e, lo);
	u_regrid(ub, b->e, lo);
	if (na)
		s_negate(ua);
	if (nb)
		s_negate(ub);
	u_add(ua, ub);
	a->w[0] = ua[0];
	a->w[1] = ua[1];
	a->w[2] = ua[2];
	a->e = lo;
}

/* a += x (x finite). */
void
qx_add_double(QExact *a, double x)
{
	uint64		bits;
	uint64		m;
	int64		e;
	int			expf;
	QExact		b;

	if (x == 0)
		return;
	memcpy(&bits, &x, 8);
	expf = (int) ((bits >> 52) & 0x7ff);
	m = bits & ((UINT64CONST(1) << 52) - 1);
	if (expf == 0)
		e = -1074;				/* subnormal */
	else
	{
		m |= UINT64CONST(1) << 52;
		e = expf - 1075;
	}

	/*
	 * The common case: the sum's grid is at most 10 bits finer than x's and
	 * it is far from the limit, so x's integer on that grid fits in one word
	 * (m < 2^53, shifted by at most 10) and one carry chain adds it.
	 */
	if (e >= a->e && e - a->e <= 10 &&
		(a->w[2] < (UINT64CONST(1) << 60) || a->w[2] >= UINT64CONST(0xF000000000000000)))
	{
		uint64		v[3];

		v[0] = m << (e - a->e);
		v[1] = 0;
		v[2] = 0;
		if ((int64) bits < 0)
			s_negate(v);
		u_add(a->w, v);
		return;
	}
	b.e = e;
	b.w[0] = m;
	b.w[1] = 0;
	b.w[2] = 0;
	if ((int64) bits < 0)
		s_negate(b.w);
	qx_add(a, &b);
}

/* The sum rounded to the nearest double, ties to even. */
double
qx_round(const QExact *a)
{
	uint64		u[3];
	bool		neg;
	int			len;
	int64		t;
	double		d;

	if (u_zero(a->w))
		return 0.0;
	neg = qx_magnitude(a, u);
	len = u_bitlen(u);
	if (a->e + len - 1 > 1023)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("a sum of rewards is out of the range of float8")));
	/* the exponent of the result's last bit: 53 significant bits, or subnormal */
	t = Max(a->e + len - 53, (int64) -1074);
	if (t > a->e)
		u_shr_round(u, t - a->e);
	else
		t = a->e;				/* exact: fewer than 54 bits */
	/* u < 2^54 now, and u * 2^t is a double (or overflows, checked below) */
	d = ldexp((double) u[0], (int) Max(t, (int64) -2000));
	if (isinf(d))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("a sum of rewards is out of the range of float8")));
	return neg ? -d : d;
}

/* Normalise: odd integer (or zero with e = 0). */
void
qx_normalize(QExact *a)
{
	uint64		u[3];
	bool		neg;
	int			tz;

	if (u_zero(a->w))
	{
		a->e = 0;
		return;
	}
	neg = qx_magnitude(a, u);
	tz = u_ctz(u);
	if (tz > 0)
	{
		u_shr(u, tz);
		a->e += tz;
	}
	if (neg)
		s_negate(u);
	a->w[0] = u[0];
	a->w[1] = u[1];
	a->w[2] = u[2];
}

/* Is the sum exactly a double? */
bool
qx_is_double(const QExact *a)
{
	QExact		x = *a,
				y;

	memset(&y, 0, sizeof(y));
	qx_add_double(&y, qx_round(a));
	qx_normalize(&x);
	qx_normalize(&y);
	return x.e == y.e && memcmp(x.w, y.w, sizeof(x.w)) == 0;
}

/* Is a normalised, within the exact range and within float8's range? */
bool
qx_valid_normal(const QExact *a)
{
	uint64		u[3];
	int			len;

	if (u_zero(a->w))
		return a->e == 0;
	qx_magnitude(a, u);
	len = u_bitlen(u);
	if ((u[0] & 1) == 0 || len > QX_MAX_BITS + 2)
		return false;
	return a->e >= -1074 - 2 * QX_MAX_BITS && a->e + len - 1 <= 1023;
}
