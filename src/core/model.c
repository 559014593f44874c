/*-------------------------------------------------------------------------
 *
 * model.c
 *	  Flat model values: building, reading and validating the layout that
 *	  every model type shares (see mq_model.h for the layout).
 *
 * Values built here by our own code are trusted; values that come from
 * outside (text or binary input) go through mq_model_validate, which checks
 * every size and offset before the kind's own semantic check runs.
 * mq_model_fetch, run on every model argument, only re-checks the header,
 * which is O(number of sections).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "marketiq.h"
#include "mq_model.h"

/* errcode for inconsistent values: set by the I/O functions while they validate */
int			mq_model_corrupt_errcode = ERRCODE_DATA_CORRUPTED;

/* one section being built */
typedef struct BuildSect
{
	bool		set;			/* put already? */
	uint32		count;			/* elements */
	Size		nbytes;			/* data bytes (unaligned) */
	const void *data;			/* referenced data (numeric arrays) */
	int64		scalar;			/* int64 or float8 bits of a scalar */
	const char *const *strs;	/* text: strings */
	const int  *lens;			/* text: their lengths (NULL: NUL-terminated) */
} BuildSect;

struct MqBuilder
{
	const MqKind *kind;
	BuildSect  *s;				/* kind->nsect sections */
};

/* byte size of the header and section table */
static Size
header_size(int nsect)
{
	return MAXALIGN(offsetof(MqModel, sect) + sizeof(MqSect) * nsect);
}

/* element size of a numeric section type (0 for text) */
static Size
elem_size(MqSectType t)
{
	switch (t)
	{
		case MQ_INT64:
		case MQ_FLOAT8:
		case MQ_INT64_ARR:
		case MQ_FLOAT8_ARR:
			return 8;
		case MQ_INT32_ARR:
			return 4;
		default:
			return 0;
	}
}

/* ---------------------------------------------------------------- building */

/* Start building a value of `kind`. */
MqBuilder *
mq_build_begin(const MqKind *kind)
{
	MqBuilder  *b = palloc(sizeof(MqBuilder));

	b->kind = kind;
	b->s = palloc0(sizeof(BuildSect) * kind->nsect);
	return b;
}

/* Common bookkeeping of a put: section index, type and once-only. */
static BuildSect *
put_sect(MqBuilder *b, int sect, MqSectType type)
{
	BuildSect  *s;

	if (sect < 0 || sect >= b->kind->nsect || b->kind->sects[sect].type != type)
		elog(ERROR, "marketiq %s: section %d is not of type %d", b->kind->name, sect, (int) type);
	s = &b->s[sect];
	if (s->set)
		elog(ERROR, "marketiq %s: section \"%s\" set twice", b->kind->name,
			 b->kind->sects[sect].name);
	s->set = true;
	return s;
}

void
mq_put_int64(MqBuilder *b, int sect, int64 v)
{
	BuildSect  *s = put_sect(b, sect, MQ_INT64);

	s->count = 1;
	s->nbytes = 8;
	s->scalar = v;
}

void
mq_put_float8(MqBuilder *b, int sect, double v)
{
	BuildSect  *s = put_sect(b, sect, MQ_FLOAT8);

	s->count = 1;
	s->nbytes = 8;
	memcpy(&s->scalar, &v, 8);
}

void
mq_put_text(MqBuilder *b, int sect, const char *str, int len)
{
	BuildSect  *s = put_sect(b, sect, MQ_TEXT);
	char	   *copy = palloc(len + 1);

	if (memchr(str, '\0', len) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("text in a marketiq %s value must not contain NUL bytes", b->kind->name)));
	memcpy(copy, str, len);
	copy[len] = '\0';
	s->count = 1;
	s->nbytes = len + 1;
	s->data = copy;
}

/* Common part of the numeric array puts. */
static void
put_array(MqBuilder *b, int sect, MqSectType type, const void *v, int count)
{
	BuildSect  *s = put_sect(b, sect, type);

	if (count < 0)
		elog(ERROR, "negative count");
	s->count = count;
	s->nbytes = (Size) count * elem_size(type);
	s->data = v;
}

void
mq_put_int32s(MqBuilder *b, int sect, const int32 *v, int count)
{
	put_array(b, sect, MQ_INT32_ARR, v, count);
}

void
mq_put_int64s(MqBuilder *b, int sect, const int64 *v, int count)
{
	put_array(b, sect, MQ_INT64_ARR, v, count);
}

void
mq_put_float8s(MqBuilder *b, int sect, const double *v, int count)
{
	put_array(b, sect, MQ_FLOAT8_ARR, v, count);
}

void
mq_put_texts(MqBuilder *b, int sect, const char *const *strs, const int *lens, int count)
{
	BuildSect  *s = put_sect(b, sect, MQ_TEXT_ARR);
	Size		bytes = 0;
	int			i;

	for (i = 0; i < count; i++)
	{
		int			len = lens ? lens[i] : (int) strlen(strs[i]);

		if (lens && memchr(strs[i], '\0', len) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("text in a marketiq %s value must not contain NUL bytes",
							b->kind->name)));
		bytes += len + 1;
	}
	s->count = count;
	s->nbytes = sizeof(uint32) * ((Size) count + 1) + bytes;
	s->strs = strs;
	s->lens = lens;
}

/* Error when a value or state would pass marketiq.max_model_bytes. */
void
mq_check_state_size(Size bytes, const MqKind *kind, const char *what)
{
	if (bytes > (Size) mq_max_model_bytes || bytes > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("marketiq %s model would need %zu bytes for its %s, more than marketiq.max_model_bytes (%d)",
						kind->name, bytes, what, mq_max_model_bytes),
				 errhint("Filter or sample the input, fit one model per group, or raise marketiq.max_model_bytes (at most 1GB).")));
}

/* Lay the value out and return it. */
MqModel *
mq_build_finish(MqBuilder *b)
{
	const MqKind *kind = b->kind;
	Size		size = header_size(kind->nsect);
	MqModel    *m;
	int			i;

	for (i = 0; i < kind->nsect; i++)
	{
		if (!b->s[i].set)
			elog(ERROR, "marketiq %s: section \"%s\" not set", kind->name, kind->sects[i].name);
		if (b->s[i].count > PG_INT32_MAX)
			mq_check_state_size(MaxAllocSize + (Size) 1, kind, kind->sects[i].name);
		size += MAXALIGN(b->s[i].nbytes);
		if (size > MaxAllocSize)
			break;
	}
	mq_check_state_size(size, kind, "value");

	/* every byte is written below: the header here, each section and its padding in the loop */
	m = palloc(size);
	memset(m, 0, header_size(kind->nsect));
	SET_VARSIZE(m, size);
	m->kind = kind->id;
	m->format = kind->format;
	m->nsect = kind->nsect;
	m->flags = 0;
	size = header_size(kind->nsect);
	for (i = 0; i < kind->nsect; i++)
	{
		BuildSect  *s = &b->s[i];
		MqSect	   *d = &m->sect[i];
		char	   *dst = (char *) m + size;

		d->type = kind->sects[i].type;
		d->count = s->count;
		d->offset = size;
		d->nbytes = s->nbytes;
		switch (kind->sects[i].type)
		{
			case MQ_INT64:
			case MQ_FLOAT8:
				memcpy(dst, &s->scalar, 8);
				break;
			case MQ_TEXT:
			case MQ_INT32_ARR:
			case MQ_INT64_ARR:
			case MQ_FLOAT8_ARR:
				if (s->nbytes > 0)
					memcpy(dst, s->data, s->nbytes);
				break;
			case MQ_TEXT_ARR:
				{
					uint32	   *off = (uint32 *) dst;
					char	   *chars = dst + sizeof(uint32) * ((Size) s->count + 1);
					uint32		pos = 0;
					uint32		j;

					for (j = 0; j < s->count; j++)
					{
						int			len = s->lens ? s->lens[j] : (int) strlen(s->strs[j]);

						off[j] = pos;
						memcpy(chars + pos, s->strs[j], len);
						chars[pos + len] = '\0';
						pos += len + 1;
					}
					off[s->count] = pos;
				}
				break;
		}
		if (MAXALIGN(s->nbytes) > s->nbytes)
			memset(dst + s->nbytes, 0, MAXALIGN(s->nbytes) - s->nbytes);
		size += MAXALIGN(s->nbytes);
	}
	pfree(b->s);
	pfree(b);
	return m;
}

/* ----------------------------------------------------------------- reading */

/* Detoast, align and check the header of a model argument. */
const MqModel *
mq_model_fetch(Datum d, const MqKind *kind)
{
	struct varlena *v = PG_DETOAST_DATUM(d);
	const MqModel *m;

	if (((uintptr_t) v) % MAXIMUM_ALIGNOF != 0)
	{
		struct varlena *copy = palloc(VARSIZE(v));

		memcpy(copy, v, VARSIZE(v));
		v = copy;
	}
	m = (const MqModel *) v;
	if (VARSIZE(m) < header_size(0) || m->kind != kind->id ||
		m->nsect != (uint32) kind->nsect || VARSIZE(m) < header_size(m->nsect) ||
		m->format < 1 || m->format > kind->format)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid marketiq %s value", kind->name),
				 errdetail("The value header does not describe a %s model of format 1 to %d.",
						   kind->name, kind->format)));
	return m;
}

/* The descriptor of section `sect`, checked against the expected type. */
static const MqSect *
get_sect(const MqModel *m, int sect, MqSectType type)
{
	if (sect < 0 || (uint32) sect >= m->nsect || m->sect[sect].type != (uint32) type)
		elog(ERROR, "marketiq model: section %d is not of type %d", sect, (int) type);
	return &m->sect[sect];
}

int64
mq_get_int64(const MqModel *m, int sect)
{
	int64		v;

	memcpy(&v, (const char *) m + get_sect(m, sect, MQ_INT64)->offset, 8);
	return v;
}

double
mq_get_float8(const MqModel *m, int sect)
{
	double		v;

	memcpy(&v, (const char *) m + get_sect(m, sect, MQ_FLOAT8)->offset, 8);
	return v;
}

const char *
mq_get_text(const MqModel *m, int sect)
{
	return (const char *) m + get_sect(m, sect, MQ_TEXT)->offset;
}

const int32 *
mq_get_int32s(const MqModel *m, int sect, int *count)
{
	const MqSect *s = get_sect(m, sect, MQ_INT32_ARR);

	*count = s->count;
	return (const int32 *) ((const char *) m + s->offset);
}

const int64 *
mq_get_int64s(const MqModel *m, int sect, int *count)
{
	const MqSect *s = get_sect(m, sect, MQ_INT64_ARR);

	*count = s->count;
	return (const int64 *) ((const char *) m + s->offset);
}

const double *
mq_get_float8s(const MqModel *m, int sect, int *count)
{
	const MqSect *s = get_sect(m, sect, MQ_FLOAT8_ARR);

	*count = s->count;
	return (const double *) ((const char *) m + s->offset);
}

int
mq_get_text_count(const MqModel *m, int sect)
{
	return get_sect(m, sect, MQ_TEXT_ARR)->count;
}

const char *
mq_get_text_elem(const MqModel *m, int sect, int i, int *len)
{
	const MqSect *s = get_sect(m, sect, MQ_TEXT_ARR);
	const uint32 *off = (const uint32 *) ((const char *) m + s->offset);
	const char *chars = (const char *) (off + s->count + 1);

	if (i < 0 || (uint32) i >= s->count)
		elog(ERROR, "marketiq model: string %d out of range", i);
	if (len)
		*len = off[i + 1] - off[i] - 1;
	return chars + off[i];
}

/* -------------------------------------------------------------- validation */

/* Report an inconsistent value. */
void
mq_model_corrupt(const MqKind *kind, const char *fmt,...)
{
	char		detail[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	ereport(ERROR,
			(errcode(mq_model_corrupt_errcode),
			 errmsg("invalid marketiq %s value", kind->name),
			 errdetail("%s", detail)));
}

/* Full layout validation, then the kind's own checks. */
void
mq_model_validate(const MqModel *m, const MqKind *kind)
{
	Size		size = VARSIZE(m);
	Size		pos;
	int			i;

	if (size < header_size(0))
		mq_model_corrupt(kind, "The value is truncated (%zu bytes).", size);
	if (m->kind != kind->id)
		mq_model_corrupt(kind, "The value is of kind %u, not %u.", m->kind, kind->id);
	if (m->format < 1 || m->format > kind->format)
		mq_model_corrupt(kind, "Format %u is not supported (1 to %u are).", m->format, kind->format);
	if (m->nsect != (uint32) kind->nsect)
		mq_model_corrupt(kind, "The value has %u sections, not %d.", m->nsect, kind->nsect);
	if (m->flags != 0)
		mq_model_corrupt(kind, "Reserved flags are set.");
	pos = header_size(kind->nsect);
	if (size < pos)
		mq_model_corrupt(kind, "The value is truncated (%zu bytes).", size);
	for (i = 0; i < kind->nsect; i++)
	{
		const MqSect *s = &m->sect[i];
		const char *name = kind->sects[i].name;
		const char *data;
		Size		es;

		if (s->type != (uint32) kind->sects[i].type)
			mq_model_corrupt(kind, "Section \"%s\" has the wrong type.", name);
		if (s->offset != pos || (Size) s->offset + s->nbytes > size)
			mq_model_corrupt(kind, "Section \"%s\" is out of bounds.", name);
		data = (const char *) m + s->offset;
		es = elem_size(kind->sects[i].type);
		switch (kind->sects[i].type)
		{
			case MQ_INT64:
			case MQ_FLOAT8:
				if (s->count != 1 || s->nbytes != 8)
					mq_model_corrupt(kind, "Section \"%s\" has the wrong size.", name);
				break;
			case MQ_TEXT:
				if (s->count != 1 || s->nbytes < 1 || data[s->nbytes - 1] != '\0' ||
					strlen(data) != s->nbytes - 1)
					mq_model_corrupt(kind, "Section \"%s\" is not one string.", name);
				if (!pg_verifymbstr(data, s->nbytes - 1, true))
					mq_model_corrupt(kind, "Section \"%s\" is not valid in the database encoding.", name);
				break;
			case MQ_INT32_ARR:
			case MQ_INT64_ARR:
			case MQ_FLOAT8_ARR:
				if ((Size) s->count * es != s->nbytes)
					mq_model_corrupt(kind, "Section \"%s\" has the wrong size.", name);
				break;
			case MQ_TEXT_ARR:
				{
					const uint32 *off = (const uint32 *) data;
					Size		table = sizeof(uint32) * ((Size) s->count + 1);
					const char *chars = data + table;
					uint32		j;

					if (table > s->nbytes || off[0] != 0 || off[s->count] != s->nbytes - table)
						mq_model_corrupt(kind, "Section \"%s\" has the wrong size.", name);
					for (j = 0; j < s->count; j++)
					{
						if (off[j + 1] <= off[j] || off[j + 1] > off[s->count] ||
							chars[off[j + 1] - 1] != '\0' ||
							strlen(chars + off[j]) != off[j + 1] - off[j] - 1)
							mq_model_corrupt(kind, "String %u of section \"%s\" is malformed.", j + 1, name);
						if (!pg_verifymbstr(chars + off[j], off[j + 1] - off[j] - 1, true))
							mq_model_corrupt(kind, "String %u of section \"%s\" is not valid in the database encoding.", j + 1, name);
					}
				}
				break;
			default:
				mq_model_corrupt(kind, "Section \"%s\" has an unknown type.", name);
		}
		pos += MAXALIGN(s->nbytes);
	}
	if (pos != size)
		mq_model_corrupt(kind, "The value has %zu bytes, but its sections account for %zu.", size, pos);
	if (kind->check)
		kind->check(kind, m);
}
