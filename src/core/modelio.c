/*-------------------------------------------------------------------------
 *
 * modelio.c
 *	  Text and binary I/O of model values, driven by each kind's schema.
 *
 * Text form: one JSON object, {"kind":"<name>","format":<n>, then one key per
 * section in schema order}.  int64 sections print as integers; float8 ones in
 * the shortest form that reads back to the same bits (non-finite values as
 * the strings "NaN", "Infinity" and "-Infinity"); text as JSON strings;
 * arrays as JSON arrays.  Input accepts the keys in any order, each exactly
 * once, and nothing else, so the text form round-trips exactly and a
 * mistyped key is an error rather than silently ignored.  The text is valid
 * JSON: model::text::jsonb works for inspection.
 *
 * Binary form: int16 kind, int16 format, int32 section count, then per
 * section an int8 type, an int32 element count and the elements (int32,
 * int64, float8 in network order; strings as int32 length + bytes in the
 * client encoding).  Counts are checked against the bytes left before
 * anything is allocated.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>
#include <math.h>

#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "mq_model.h"

/* -------------------------------------------------------------- text output */

/* Append a JSON string literal. */
static void
append_json_string(StringInfo buf, const char *s)
{
	appendStringInfoChar(buf, '"');
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
		{
			appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, c);
		}
		else if (c < 0x20)
			appendStringInfo(buf, "\\u%04x", c);
		else
			appendStringInfoChar(buf, c);
	}
	appendStringInfoChar(buf, '"');
}

/* Append a float8 in its shortest exact form. */
static void
append_float8(StringInfo buf, double v)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN];

	if (isnan(v))
		appendStringInfoString(buf, "\"NaN\"");
	else if (isinf(v))
		appendStringInfoString(buf, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	else
	{
		double_to_shortest_decimal_buf(v, tmp);
		appendStringInfoString(buf, tmp);
	}
}

/* The text form of a value. */
char *
mq_model_out(const MqModel *m, const MqKind *kind)
{
	StringInfoData buf;
	int			i,
				j,
				n;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"kind\":\"%s\",\"format\":%u", kind->name, m->format);
	for (i = 0; i < kind->nsect; i++)
	{
		appendStringInfo(&buf, ",\"%s\":", kind->sects[i].name);
		switch (kind->sects[i].type)
		{
			case MQ_INT64:
				appendStringInfo(&buf, INT64_FORMAT, mq_get_int64(m, i));
				break;
			case MQ_FLOAT8:
				append_float8(&buf, mq_get_float8(m, i));
				break;
			case MQ_TEXT:
				append_json_string(&buf, mq_get_text(m, i));
				break;
			case MQ_INT32_ARR:
				{
					const int32 *v = mq_get_int32s(m, i, &n);

					appendStringInfoChar(&buf, '[');
					for (j = 0; j < n; j++)
						appendStringInfo(&buf, j ? ",%d" : "%d", v[j]);
					appendStringInfoChar(&buf, ']');
				}
				break;
			case MQ_INT64_ARR:
				{
					const int64 *v = mq_get_int64s(m, i, &n);

					appendStringInfoChar(&buf, '[');
					for (j = 0; j < n; j++)
						appendStringInfo(&buf, j ? "," INT64_FORMAT : INT64_FORMAT, v[j]);
					appendStringInfoChar(&buf, ']');
				}
				break;
			case MQ_FLOAT8_ARR:
				{
					const double *v = mq_get_float8s(m, i, &n);

					appendStringInfoChar(&buf, '[');
					for (j = 0; j < n; j++)
					{
						if (j)
							appendStringInfoChar(&buf, ',');
						append_float8(&buf, v[j]);
					}
					appendStringInfoChar(&buf, ']');
				}
				break;
			case MQ_TEXT_ARR:
				n = mq_get_text_count(m, i);
				appendStringInfoChar(&buf, '[');
				for (j = 0; j < n; j++)
				{
					if (j)
						appendStringInfoChar(&buf, ',');
					append_json_string(&buf, mq_get_text_elem(m, i, j, NULL));
				}
				appendStringInfoChar(&buf, ']');
				break;
		}
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* --------------------------------------------------------------- text input */

/* Parser position over the input string. */
typedef struct Parser
{
	const char *start;			/* the whole input */
	const char *p;				/* current position */
	const MqKind *kind;			/* what we parse */
} Parser;

/* Report a syntax error at the current position. */
static void pg_attribute_noreturn()
syntax_error(Parser *ps, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type marketiq.%s", ps->kind->name),
			 errdetail("%s at character %d.", what, (int) (ps->p - ps->start) + 1),
			 errhint("A marketiq model is written as the JSON object its text output prints.")));
}

static void
skip_ws(Parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

/* Consume character c (after whitespace) or fail. */
static void
expect(Parser *ps, char c)
{
	char		msg[64];

	skip_ws(ps);
	if (*ps->p != c)
	{
		snprintf(msg, sizeof(msg), "Expected \"%c\"", c);
		syntax_error(ps, msg);
	}
	ps->p++;
}

/* Consume character c if it is next; returns whether it was. */
static bool
accept(Parser *ps, char c)
{
	skip_ws(ps);
	if (*ps->p == c)
	{
		ps->p++;
		return true;
	}
	return false;
}

/* Parse 4 hex digits of a \u escape. */
static pg_wchar
parse_hex4(Parser *ps)
{
	pg_wchar	v = 0;
	int			i;

	for (i = 0; i < 4; i++)
	{
		char		c = *ps->p;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			syntax_error(ps, "Invalid \\u escape");
		ps->p++;
	}
	return v;
}

/* Parse a JSON string; returns it NUL-terminated (palloc'd) with its length. */
static char *
parse_string(Parser *ps, int *len)
{
	StringInfoData buf;

	skip_ws(ps);
	if (*ps->p != '"')
		syntax_error(ps, "Expected a string");
	ps->p++;
	initStringInfo(&buf);
	for (;;)
	{
		unsigned char c = (unsigned char) *ps->p;

		if (c == '\0')
			syntax_error(ps, "Unterminated string");
		if (c < 0x20)
			syntax_error(ps, "Control character in string");
		ps->p++;
		if (c == '"')
			break;
		if (c != '\\')
		{
			appendStringInfoChar(&buf, c);
			continue;
		}
		c = (unsigned char) *ps->p++;
		switch (c)
		{
			case '"':
			case '\\':
			case '/':
				appendStringInfoChar(&buf, c);
				break;
			case 'b':
				appendStringInfoChar(&buf, '\b');
				break;
			case 'f':
				appendStringInfoChar(&buf, '\f');
				break;
			case 'n':
				appendStringInfoChar(&buf, '\n');
				break;
			case 'r':
				appendStringInfoChar(&buf, '\r');
				break;
			case 't':
				appendStringInfoChar(&buf, '\t');
				break;
			case 'u':
				{
					pg_wchar	cp = parse_hex4(ps);
					char		out[MAX_UNICODE_EQUIVALENT_STRING + 1];

					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						pg_wchar	lo;

						if (ps->p[0] != '\\' || ps->p[1] != 'u')
							syntax_error(ps, "Unpaired surrogate in \\u escape");
						ps->p += 2;
						lo = parse_hex4(ps);
						if (lo < 0xDC00 || lo > 0xDFFF)
							syntax_error(ps, "Unpaired surrogate in \\u escape");
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					}
					else if (cp >= 0xDC00 && cp <= 0xDFFF)
						syntax_error(ps, "Unpaired surrogate in \\u escape");
					if (cp == 0)
						syntax_error(ps, "\\u0000 is not allowed");
					pg_unicode_to_server(cp, (unsigned char *) out);
					appendStringInfoString(&buf, out);
				}
				break;
			default:
				ps->p--;
				syntax_error(ps, "Invalid escape in string");
		}
	}
	if (!pg_verifymbstr(buf.data, buf.len, true))
		syntax_error(ps, "String is not valid in the database encoding");
	*len = buf.len;
	return buf.data;
}

/*
 * Scan a JSON number; returns a NUL-terminated copy in tmp and whether it
 * is an integer literal (no fraction, no exponent).
 */
static bool
scan_number(Parser *ps, char *tmp, size_t tmpsize)
{
	const char *s;
	bool		integer = true;
	size_t		n;

	skip_ws(ps);
	s = ps->p;
	if (*ps->p == '-')
		ps->p++;
	if (*ps->p == '0')
		ps->p++;
	else if (*ps->p >= '1' && *ps->p <= '9')
		while (*ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	else
		syntax_error(ps, "Expected a number");
	if (*ps->p == '.')
	{
		integer = false;
		ps->p++;
		if (!(*ps->p >= '0' && *ps->p <= '9'))
			syntax_error(ps, "Expected digits after the decimal point");
		while (*ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (*ps->p == 'e' || *ps->p == 'E')
	{
		integer = false;
		ps->p++;
		if (*ps->p == '+' || *ps->p == '-')
			ps->p++;
		if (!(*ps->p >= '0' && *ps->p <= '9'))
			syntax_error(ps, "Expected digits in the exponent");
		while (*ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	n = ps->p - s;
	if (n >= tmpsize)
	{
		ps->p = s;
		syntax_error(ps, "Number is too long");
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return integer;
}

/* Parse an integer literal into int64. */
static int64
parse_int64(Parser *ps)
{
	char		tmp[64];
	const char *s = ps->p;
	char	   *end;
	long long	v;

	if (!scan_number(ps, tmp, sizeof(tmp)))
	{
		ps->p = s;
		skip_ws(ps);
		syntax_error(ps, "Expected an integer");
	}
	errno = 0;
	v = strtoll(tmp, &end, 10);
	if (errno == ERANGE || *end != '\0')
	{
		ps->p = s;
		skip_ws(ps);
		syntax_error(ps, "Integer out of range");
	}
	return (int64) v;
}

/* Parse a float8: a JSON number or one of the strings "NaN", "Infinity", "-Infinity". */
static double
parse_float8(Parser *ps)
{
	char		tmp[400];
	const char *s;
	char	   *end;
	double		v;

	skip_ws(ps);
	s = ps->p;
	if (*ps->p == '"')
	{
		int			len;
		char	   *str = parse_string(ps, &len);

		if (strcmp(str, "NaN") == 0)
			return get_float8_nan();
		if (strcmp(str, "Infinity") == 0)
			return get_float8_infinity();
		if (strcmp(str, "-Infinity") == 0)
			return -get_float8_infinity();
		ps->p = s;
		syntax_error(ps, "Expected a number, \"NaN\", \"Infinity\" or \"-Infinity\"");
	}
	scan_number(ps, tmp, sizeof(tmp));
	errno = 0;
	v = strtod(tmp, &end);
	if (*end != '\0' || (errno == ERANGE && (isinf(v) || v == HUGE_VAL || v == -HUGE_VAL)))
	{
		ps->p = s;
		syntax_error(ps, "Number out of range for float8");
	}
	return v;
}

/* Growable array under construction. */
typedef struct ParseArr
{
	void	   *data;
	int			n;
	int			cap;
	Size		elem;
} ParseArr;

/* Room for one more element. */
static void *
arr_push(ParseArr *a)
{
	if (a->n == a->cap)
	{
		a->cap = a->cap ? a->cap * 2 : 16;
		if ((Size) a->cap * a->elem > MaxAllocSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("array in a marketiq model value is too large")));
		a->data = a->data ? repalloc(a->data, a->cap * a->elem) : palloc(a->cap * a->elem);
	}
	return (char *) a->data + (Size) (a->n++) * a->elem;
}

/* Parse the value of one section into the builder. */
static void
parse_section(Parser *ps, MqBuilder *b, int sect)
{
	MqSectType	type = ps->kind->sects[sect].type;
	ParseArr	arr = {NULL, 0, 0, 0};
	ParseArr	lens = {NULL, 0, 0, sizeof(int)};
	int			len;

	switch (type)
	{
		case MQ_INT64:
			mq_put_int64(b, sect, parse_int64(ps));
			return;
		case MQ_FLOAT8:
			mq_put_float8(b, sect, parse_float8(ps));
			return;
		case MQ_TEXT:
			{
				char	   *s = parse_string(ps, &len);

				mq_put_text(b, sect, s, len);
			}
			return;
		case MQ_INT32_ARR:
			arr.elem = sizeof(int32);
			break;
		case MQ_INT64_ARR:
		case MQ_FLOAT8_ARR:
			arr.elem = 8;
			break;
		case MQ_TEXT_ARR:
			arr.elem = sizeof(char *);
			break;
	}
	expect(ps, '[');
	if (!accept(ps, ']'))
	{
		do
		{
			switch (type)
			{
				case MQ_INT32_ARR:
					{
						const char *s = ps->p;
						int64		v = parse_int64(ps);

						if (v < PG_INT32_MIN || v > PG_INT32_MAX)
						{
							ps->p = s;
							skip_ws(ps);
							syntax_error(ps, "Integer out of range for int4");
						}
						*(int32 *) arr_push(&arr) = (int32) v;
					}
					break;
				case MQ_INT64_ARR:
					*(int64 *) arr_push(&arr) = parse_int64(ps);
					break;
				case MQ_FLOAT8_ARR:
					*(double *) arr_push(&arr) = parse_float8(ps);
					break;
				case MQ_TEXT_ARR:
					*(char **) arr_push(&arr) = parse_string(ps, &len);
					*(int *) arr_push(&lens) = len;
					break;
				default:
					break;
			}
		} while (accept(ps, ','));
		expect(ps, ']');
	}
	switch (type)
	{
		case MQ_INT32_ARR:
			mq_put_int32s(b, sect, arr.data, arr.n);
			break;
		case MQ_INT64_ARR:
			mq_put_int64s(b, sect, arr.data, arr.n);
			break;
		case MQ_FLOAT8_ARR:
			mq_put_float8s(b, sect, arr.data, arr.n);
			break;
		case MQ_TEXT_ARR:
			mq_put_texts(b, sect, arr.data, lens.data, arr.n);
			break;
		default:
			break;
	}
}

/* Text input of a model value. */
Datum
mq_model_in(const char *str, const MqKind *kind)
{
	Parser		ps = {str, str, kind};
	MqBuilder  *b = mq_build_begin(kind);
	bool	   *seen = palloc0(sizeof(bool) * kind->nsect);
	bool		seen_kind = false,
				seen_format = false;
	MqModel    *m;
	int			i;

	expect(&ps, '{');
	if (!accept(&ps, '}'))
	{
		do
		{
			const char *keypos;
			int			len;
			char	   *key;

			skip_ws(&ps);
			keypos = ps.p;
			key = parse_string(&ps, &len);
			expect(&ps, ':');
			if (strcmp(key, "kind") == 0 && !seen_kind)
			{
				char	   *v;

				seen_kind = true;
				skip_ws(&ps);
				keypos = ps.p;
				v = parse_string(&ps, &len);
				if (strcmp(v, kind->name) != 0)
				{
					ps.p = keypos;
					syntax_error(&ps, psprintf("Kind \"%s\" is not \"%s\"", v, kind->name));
				}
				continue;
			}
			if (strcmp(key, "format") == 0 && !seen_format)
			{
				int64		f;

				seen_format = true;
				skip_ws(&ps);
				keypos = ps.p;
				f = parse_int64(&ps);
				if (f != kind->format)
				{
					ps.p = keypos;
					syntax_error(&ps, psprintf("Format " INT64_FORMAT " is not supported by this build (it reads format %d)",
											   f, kind->format));
				}
				continue;
			}
			for (i = 0; i < kind->nsect; i++)
				if (strcmp(key, kind->sects[i].name) == 0)
					break;
			if (i == kind->nsect || seen[i])
			{
				ps.p = keypos;
				syntax_error(&ps, psprintf(i == kind->nsect ? "Unknown key \"%s\"" : "Duplicate key \"%s\"", key));
			}
			seen[i] = true;
			parse_section(&ps, b, i);
		} while (accept(&ps, ','));
		expect(&ps, '}');
	}
	skip_ws(&ps);
	if (*ps.p != '\0')
		syntax_error(&ps, "Unexpected text after the object");
	if (!seen_kind || !seen_format)
		syntax_error(&ps, psprintf("Missing key \"%s\"", seen_kind ? "format" : "kind"));
	for (i = 0; i < kind->nsect; i++)
		if (!seen[i])
			syntax_error(&ps, psprintf("Missing key \"%s\"", kind->sects[i].name));

	m = mq_build_finish(b);
	mq_model_corrupt_errcode = ERRCODE_INVALID_TEXT_REPRESENTATION;
	PG_TRY();
	{
		mq_model_validate(m, kind);
	}
	PG_FINALLY();
	{
		mq_model_corrupt_errcode = ERRCODE_DATA_CORRUPTED;
	}
	PG_END_TRY();
	PG_RETURN_POINTER(m);
}

/* ------------------------------------------------------------------ binary */

/* Binary output. */
bytea *
mq_model_send(const MqModel *m, const MqKind *kind)
{
	StringInfoData buf;
	int			i,
				j,
				n;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, m->kind);
	pq_sendint16(&buf, m->format);
	pq_sendint32(&buf, m->nsect);
	for (i = 0; i < kind->nsect; i++)
	{
		pq_sendint8(&buf, (int8) kind->sects[i].type);
		pq_sendint32(&buf, m->sect[i].count);
		switch (kind->sects[i].type)
		{
			case MQ_INT64:
				pq_sendint64(&buf, mq_get_int64(m, i));
				break;
			case MQ_FLOAT8:
				pq_sendfloat8(&buf, mq_get_float8(m, i));
				break;
			case MQ_TEXT:
				{
					const char *s = mq_get_text(m, i);
					int			len = strlen(s);
					char	   *conv = pg_server_to_client(s, len);
					int			clen = (conv == s) ? len : (int) strlen(conv);

					pq_sendint32(&buf, clen);
					pq_sendbytes(&buf, conv, clen);
				}
				break;
			case MQ_INT32_ARR:
				{
					const int32 *v = mq_get_int32s(m, i, &n);

					for (j = 0; j < n; j++)
						pq_sendint32(&buf, v[j]);
				}
				break;
			case MQ_INT64_ARR:
				{
					const int64 *v = mq_get_int64s(m, i, &n);

					for (j = 0; j < n; j++)
						pq_sendint64(&buf, v[j]);
				}
				break;
			case MQ_FLOAT8_ARR:
				{
					const double *v = mq_get_float8s(m, i, &n);

					for (j = 0; j < n; j++)
						pq_sendfloat8(&buf, v[j]);
				}
				break;
			case MQ_TEXT_ARR:
				n = mq_get_text_count(m, i);
				for (j = 0; j < n; j++)
				{
					int			len;
					const char *s = mq_get_text_elem(m, i, j, &len);
					char	   *conv = pg_server_to_client(s, len);
					int			clen = (conv == s) ? len : (int) strlen(conv);

					pq_sendint32(&buf, clen);
					pq_sendbytes(&buf, conv, clen);
				}
				break;
		}
	}
	return pq_endtypsend(&buf);
}

/* Report malformed binary input. */
static void pg_attribute_noreturn()
binary_error(const MqKind *kind, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary input for type marketiq.%s", kind->name),
			 errdetail("%s", detail)));
}

/* Read a length-prefixed string in the client encoding, converted to the server's. */
static char *
recv_string(StringInfo buf, const MqKind *kind, int *len)
{
	int			n = pq_getmsgint(buf, 4);
	char	   *s;

	if (n < 0 || n > buf->len - buf->cursor)
		binary_error(kind, "A string length is out of bounds.");
	s = pq_getmsgtext(buf, n, len);
	if ((int) strlen(s) != *len)
		binary_error(kind, "A string contains a NUL byte.");
	return s;
}

/* Binary input of a model value. */
Datum
mq_model_recv(StringInfo buf, const MqKind *kind)
{
	MqBuilder  *b = mq_build_begin(kind);
	MqModel    *m;
	int			kid,
				format,
				nsect,
				i,
				j;

	kid = pq_getmsgint(buf, 2);
	format = pq_getmsgint(buf, 2);
	nsect = pq_getmsgint(buf, 4);
	if (kid != kind->id)
		binary_error(kind, psprintf("The value is of kind %d, not %d.", kid, kind->id));
	if (format != kind->format)
		binary_error(kind, psprintf("Format %d is not supported by this build (it reads format %d).",
									format, kind->format));
	if (nsect != kind->nsect)
		binary_error(kind, psprintf("The value has %d sections, not %d.", nsect, kind->nsect));
	for (i = 0; i < nsect; i++)
	{
		MqSectType	type = kind->sects[i].type;
		int			t = pq_getmsgint(buf, 1);
		int64		count = (uint32) pq_getmsgint(buf, 4);
		int64		left = buf->len - buf->cursor;

		if (t != (int) type)
			binary_error(kind, psprintf("Section \"%s\" has the wrong type.", kind->sects[i].name));
		if (type <= MQ_TEXT ? count != 1 :
			count * (type == MQ_INT32_ARR || type == MQ_TEXT_ARR ? 4 : 8) > left)
			binary_error(kind, psprintf("Section \"%s\" has an impossible element count.",
										kind->sects[i].name));
		switch (type)
		{
			case MQ_INT64:
				mq_put_int64(b, i, pq_getmsgint64(buf));
				break;
			case MQ_FLOAT8:
				mq_put_float8(b, i, pq_getmsgfloat8(buf));
				break;
			case MQ_TEXT:
				{
					int			len;
					char	   *s = recv_string(buf, kind, &len);

					mq_put_text(b, i, s, len);
				}
				break;
			case MQ_INT32_ARR:
				{
					int32	   *v = palloc(sizeof(int32) * Max(count, 1));

					for (j = 0; j < count; j++)
						v[j] = pq_getmsgint(buf, 4);
					mq_put_int32s(b, i, v, count);
				}
				break;
			case MQ_INT64_ARR:
				{
					int64	   *v = palloc(sizeof(int64) * Max(count, 1));

					for (j = 0; j < count; j++)
						v[j] = pq_getmsgint64(buf);
					mq_put_int64s(b, i, v, count);
				}
				break;
			case MQ_FLOAT8_ARR:
				{
					double	   *v = palloc(sizeof(double) * Max(count, 1));

					for (j = 0; j < count; j++)
						v[j] = pq_getmsgfloat8(buf);
					mq_put_float8s(b, i, v, count);
				}
				break;
			case MQ_TEXT_ARR:
				{
					char	  **v = palloc(sizeof(char *) * Max(count, 1));
					int		   *lens = palloc(sizeof(int) * Max(count, 1));

					for (j = 0; j < count; j++)
						v[j] = recv_string(buf, kind, &lens[j]);
					mq_put_texts(b, i, (const char *const *) v, lens, count);
				}
				break;
		}
	}
	if (buf->cursor != buf->len)
		binary_error(kind, "Unexpected bytes after the value.");
	m = mq_build_finish(b);
	mq_model_corrupt_errcode = ERRCODE_INVALID_BINARY_REPRESENTATION;
	PG_TRY();
	{
		mq_model_validate(m, kind);
	}
	PG_FINALLY();
	{
		mq_model_corrupt_errcode = ERRCODE_DATA_CORRUPTED;
	}
	PG_END_TRY();
	PG_RETURN_POINTER(m);
}
