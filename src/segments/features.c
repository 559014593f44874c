/*-------------------------------------------------------------------------
 *
 * features.c
 *	  Feature vectors of the k-means passes: reading a float8[] without
 *	  copying it, and hashing it for the seeded draws.
 *
 * Every Lloyd pass reads every row's feature array, so the read is written
 * for speed: a small array stored in a table has a 1-byte varlena header,
 * and PG_GETARG_ARRAYTYPE_P would copy it into an aligned buffer first.  The
 * array's layout after the header is the same whatever the header's size,
 * so the dimension fields are read with unaligned loads and the elements are
 * copied straight into the caller's buffer (which is where the pass wants
 * them anyway).  Toasted (compressed, out-of-line) and expanded arrays are
 * detoasted first; arrays with a NULL bitmap go through the ordinary path.
 * Anything malformed is reported by the shared validators, so messages read
 * as everywhere else.
 *
 * The generator.  k-means++ and the silhouette sample need random draws
 * that do not depend on the order rows arrive in (a parallel plan delivers
 * them in a different order every time), so a draw is a hash of the row's
 * feature values: h = stream, then h = mix64(h XOR bits(x_j)) for each
 * feature j in order, where mix64 is the splitmix64 finaliser, bits() the
 * IEEE-754 bit pattern as a 64-bit integer (-0 counted as +0) and
 * stream = mix64(mix64(seed) + draw number).  Integer arithmetic on bit
 * patterns only: the same numbers on every machine.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"

#include "mq_check.h"
#include "mq_segments.h"

/* Hash of a feature vector in a stream. */
uint64
seg_row_hash(uint64 stream, const double *x, int d)
{
	uint64		h = stream;
	int			j;

	for (j = 0; j < d; j++)
	{
		double		v = x[j] == 0.0 ? 0.0 : x[j];	/* -0 hashes as +0 */
		uint64		bits;

		memcpy(&bits, &v, sizeof(bits));
		h = seg_mix64(h ^ bits);
	}
	return h;
}

/* ERROR for a feature vector of the wrong length. */
void
seg_length_error(const char *what, int got, int want, const char *whose)
{
	ereport(ERROR,
			(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
			 errmsg("array \"%s\" has %d elements but %s %d features", what, got, whose, want),
			 errhint("Every row's feature array must have the same length.")));
}

/* Report what is wrong with a feature array through the shared validator. */
static void pg_attribute_noreturn()
features_error(Datum d, const char *what)
{
	int			n;

	(void) mq_check_float8_array(DatumGetArrayTypeP(d), what, 0, &n);
	elog(ERROR, "array \"%s\" could not be read", what);
}

/* Read a feature vector into out[cap]; see mq_segments.h. */
int
seg_read_features(Datum d, double *out, int cap, const char *what)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	const char *base;			/* virtual start of the array (its varlena header) */
	Size		size;
	int32		ndim,
				dataoffset,
				nitems;
	int			j;
	bool		bad = false;

	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
		v = pg_detoast_datum(v);	/* compressed, out of line or expanded */
	if (VARATT_IS_SHORT(v))
	{
		base = VARDATA_SHORT(v) - VARHDRSZ;
		size = VARSIZE_SHORT(v) - VARHDRSZ_SHORT + VARHDRSZ;
	}
	else
	{
		base = (const char *) v;
		size = VARSIZE(v);
	}
	if (size < sizeof(ArrayType))
		features_error(d, what);
	memcpy(&ndim, base + offsetof(ArrayType, ndim), sizeof(int32));
	memcpy(&dataoffset, base + offsetof(ArrayType, dataoffset), sizeof(int32));
	if (ndim != 1)
		features_error(d, what);	/* empty, or several dimensions */
	memcpy(&nitems, base + sizeof(ArrayType), sizeof(int32));
	if (nitems <= 0)
		features_error(d, what);
	if (nitems > cap)
		return nitems;			/* the caller reports the length */
	if (dataoffset != 0)
	{
		/* a NULL bitmap: skip the row if there is a NULL, else read the aligned copy */
		ArrayType  *arr = DatumGetArrayTypeP(d);

		if (array_contains_nulls(arr))
			return -1;
		memcpy(out, ARR_DATA_PTR(arr), sizeof(double) * nitems);
	}
	else
	{
		if (ARR_OVERHEAD_NONULLS(1) + sizeof(double) * nitems > size)
			elog(ERROR, "array \"%s\" is truncated", what);
		memcpy(out, base + ARR_OVERHEAD_NONULLS(1), sizeof(double) * nitems);
	}
	for (j = 0; j < nitems; j++)
		bad |= !isfinite(out[j]);
	if (bad)
		features_error(d, what);
	return nitems;
}
