/*-------------------------------------------------------------------------
 *
 * builtin.c
 *	  The builtin embedder: a deterministic, offline text embedding by
 *	  feature hashing.
 *
 * A text is read as Unicode code points (UTF-8; a database in another
 * encoding is converted first).  Each code point is folded (fullwidth ASCII
 * U+FF01..U+FF5E to ASCII, then lower-cased by the fixed table below) and
 * classified as a word character, a CJK character or a separator by the
 * fixed range table below; neither depends on the database locale, the C
 * library or the machine.  Maximal runs of word characters are words;
 * maximal runs of CJK characters are CJK runs.  The features are:
 *
 *	  w:<word>              every word
 *	  b:<word1> <word2>     two consecutive words (separated only by
 *	                        separators: a CJK run in between breaks the pair)
 *	  c:<3, 4 or 5 chars>   every run of 3, 4 and 5 consecutive characters
 *	                        inside a word (none for words shorter than 3)
 *	  u:<char>              every CJK character
 *	  v:<char><char>        two consecutive characters of a CJK run
 *
 * Each feature is the UTF-8 byte string shown (tag letter, colon, text),
 * hashed to 64 bits by FNV-1a 64 (offset basis 0xcbf29ce484222325, prime
 * 0x100000001b3) followed by MurmurHash3's finaliser fmix64.  With h that
 * hash: bucket = floor((h mod 2^32) * dims / 2^32), sign = -1 if bit 63 of
 * h is set, else +1.  A feature occurring tf times in the text adds
 * sign * (1 + ln tf) to its bucket (features are identified by their hash).
 * The vector is divided by its Euclidean norm.  A text without features
 * (empty, only separators), or whose features cancel exactly, has no vector.
 *
 * Speed: the hashes of a word's features are computed incrementally (the
 * unigram and the prefix of the next bigram in one pass over the word's
 * bytes, the 3-, 4- and 5-grams from one start position by extending one
 * FNV state), features are counted in an open-addressing table whose slots
 * carry a generation number (so nothing is cleared between texts), and the
 * bucket is a multiply-shift rather than a division.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "mq_embed.h"

#define FNV_OFFSET	UINT64CONST(0xcbf29ce484222325)
#define FNV_PRIME	UINT64CONST(0x100000001b3)

/* one FNV-1a step */
#define FNV_STEP(h, b)	(((h) ^ (uint64) (b)) * FNV_PRIME)

/* FNV-1a over n bytes, continuing from state h. */
static inline uint64
fnv_bytes(uint64 h, const unsigned char *p, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		h = FNV_STEP(h, p[i]);
	return h;
}

/* MurmurHash3's 64-bit finaliser. */
static inline uint64
fmix64(uint64 k)
{
	k ^= k >> 33;
	k *= UINT64CONST(0xff51afd7ed558ccd);
	k ^= k >> 33;
	k *= UINT64CONST(0xc4ceb9fe1a85ec53);
	k ^= k >> 33;
	return k;
}

/* The documented feature hash of a byte string. */
uint64
mq_feature_hash(const char *s, int len)
{
	return fmix64(fnv_bytes(FNV_OFFSET, (const unsigned char *) s, len));
}

/* FNV state after a tag letter and ':' */
static inline uint64
tag_state(char tag)
{
	return FNV_STEP(FNV_STEP(FNV_OFFSET, (unsigned char) tag), ':');
}

/* ------------------------------------------------------------ characters */

/* character classes */
#define CC_SEP	0
#define CC_WORD 1
#define CC_CJK	2

/* A range of code points with a class other than "word". */
typedef struct CpRange
{
	uint32		lo;
	uint32		hi;
	uint8		cls;
} CpRange;

/*
 * Code points from U+0080 that are separators or CJK, sorted; every other
 * code point from U+0080 is a word character.  (ASCII: letters and digits are
 * word characters, everything else a separator.)  Fullwidth ASCII
 * (U+FF01..U+FF5E) is folded to ASCII before this table is consulted.
 */
static const CpRange cp_ranges[] = {
	{0x0080, 0x00BF, CC_SEP},	/* Latin-1 controls, no-break space, symbols, punctuation */
	{0x00D7, 0x00D7, CC_SEP},	/* multiplication sign */
	{0x00F7, 0x00F7, CC_SEP},	/* division sign */
	{0x037E, 0x037E, CC_SEP},	/* Greek question mark */
	{0x0387, 0x0387, CC_SEP},	/* Greek ano teleia */
	{0x055A, 0x055F, CC_SEP},	/* Armenian punctuation */
	{0x0589, 0x058A, CC_SEP},
	{0x05BE, 0x05BE, CC_SEP},	/* Hebrew punctuation */
	{0x05C0, 0x05C0, CC_SEP},
	{0x05C3, 0x05C3, CC_SEP},
	{0x05C6, 0x05C6, CC_SEP},
	{0x05F3, 0x05F4, CC_SEP},
	{0x0600, 0x060F, CC_SEP},	/* Arabic signs and punctuation */
	{0x061B, 0x061F, CC_SEP},
	{0x066A, 0x066D, CC_SEP},
	{0x06D4, 0x06D4, CC_SEP},
	{0x0964, 0x0965, CC_SEP},	/* Devanagari danda */
	{0x0970, 0x0970, CC_SEP},
	{0x0E4F, 0x0E4F, CC_SEP},	/* Thai punctuation */
	{0x0E5A, 0x0E5B, CC_SEP},
	{0x10FB, 0x10FB, CC_SEP},	/* Georgian paragraph separator */
	{0x1360, 0x1368, CC_SEP},	/* Ethiopic punctuation */
	{0x1680, 0x1680, CC_SEP},	/* Ogham space */
	{0x17D4, 0x17DA, CC_SEP},	/* Khmer punctuation */
	{0x1800, 0x180F, CC_SEP},	/* Mongolian punctuation and format characters */
	{0x2000, 0x2BFF, CC_SEP},	/* spaces, general punctuation, symbols, arrows, math, box drawing, dingbats */
	{0x2E00, 0x2E7F, CC_SEP},	/* supplemental punctuation */
	{0x2E80, 0x2FDF, CC_CJK},	/* CJK and Kangxi radicals */
	{0x2FF0, 0x2FFF, CC_SEP},	/* ideographic description characters */
	{0x3000, 0x3004, CC_SEP},	/* ideographic space, 、。〃〄 */
	{0x3005, 0x3007, CC_CJK},	/* 々〆〇 */
	{0x3008, 0x303F, CC_SEP},	/* CJK brackets and symbols */
	{0x3040, 0x30FA, CC_CJK},	/* Hiragana, Katakana */
	{0x30FB, 0x30FB, CC_SEP},	/* katakana middle dot */
	{0x30FC, 0x30FF, CC_CJK},
	{0x3100, 0x312F, CC_CJK},	/* Bopomofo */
	{0x3190, 0x31FF, CC_CJK},	/* Kanbun, Bopomofo extended, CJK strokes, Katakana extensions */
	{0x3200, 0x33FF, CC_SEP},	/* enclosed CJK letters, CJK compatibility symbols */
	{0x3400, 0x4DBF, CC_CJK},	/* CJK unified ideographs extension A */
	{0x4DC0, 0x4DFF, CC_SEP},	/* Yijing hexagram symbols */
	{0x4E00, 0x9FFF, CC_CJK},	/* CJK unified ideographs */
	{0xD800, 0xF8FF, CC_SEP},	/* surrogates, private use */
	{0xF900, 0xFAFF, CC_CJK},	/* CJK compatibility ideographs */
	{0xFD3E, 0xFD3F, CC_SEP},	/* ornate parentheses */
	{0xFE00, 0xFE1F, CC_SEP},	/* variation selectors, vertical forms */
	{0xFE30, 0xFE6F, CC_SEP},	/* CJK compatibility forms, small form variants */
	{0xFEFF, 0xFEFF, CC_SEP},	/* zero width no-break space (BOM) */
	{0xFF00, 0xFF00, CC_SEP},
	{0xFF5F, 0xFF65, CC_SEP},	/* fullwidth white parentheses, halfwidth CJK punctuation */
	{0xFF66, 0xFF9F, CC_CJK},	/* halfwidth Katakana */
	{0xFFE0, 0xFFFF, CC_SEP},	/* fullwidth symbols, specials (U+FFFD) */
	{0x1B000, 0x1B16F, CC_CJK}, /* Kana supplement and extensions */
	{0x1F000, 0x1FBFF, CC_SEP}, /* game symbols, enclosed supplements, emoji, pictographs */
	{0x20000, 0x323AF, CC_CJK}, /* CJK unified ideographs extensions B to H, compatibility supplement */
	{0xE0000, 0x10FFFF, CC_SEP} /* tags, variation selectors supplement, private use planes */
};

/* ASCII: class and lower case of each byte below 0x80 */
static uint8 ascii_class[128];
static uint8 ascii_lower[128];
static bool ascii_ready = false;

/* Fill the ASCII tables (once per process). */
static void
init_ascii(void)
{
	int			c;

	for (c = 0; c < 128; c++)
	{
		bool		alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		ascii_class[c] = alnum ? CC_WORD : CC_SEP;
		ascii_lower[c] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
	}
	ascii_ready = true;
}

/* Class of a code point from U+0080 (binary search of cp_ranges). */
static inline int
classify(uint32 cp)
{
	int			lo = 0,
				hi = lengthof(cp_ranges) - 1;

	if (cp >= 0x4E00 && cp <= 0x9FFF)
		return CC_CJK;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (cp < cp_ranges[mid].lo)
			hi = mid - 1;
		else if (cp > cp_ranges[mid].hi)
			lo = mid + 1;
		else
			return cp_ranges[mid].cls;
	}
	return CC_WORD;
}

/*
 * Lower case of a code point from U+0080, by a fixed table (Unicode's simple
 * lower-case mappings for these blocks; final sigma is folded to sigma):
 *	  Latin-1        U+00C0..U+00DE except U+00D7: +0x20
 *	  Latin Ext-A    U+0100..U+012F, U+0132..U+0137, U+014A..U+0177: even +1;
 *	                 U+0139..U+0148, U+0179..U+017E: odd +1; U+0130 -> i; U+0178 -> U+00FF
 *	  Latin Ext-B    U+01C4/5 -> U+01C6, U+01C7/8 -> U+01C9, U+01CA/B -> U+01CC,
 *	                 U+01CD..U+01DC: odd +1; U+01DE..U+01EF: even +1;
 *	                 U+01F1/2 -> U+01F3, U+01F4 -> U+01F5; U+01F8..U+021F, U+0222..U+0233: even +1
 *	  Greek          U+0370, U+0372, U+0376: +1; U+037F -> U+03F3; U+0386 -> U+03AC;
 *	                 U+0388..U+038A: +0x25; U+038C -> U+03CC; U+038E..U+038F: +0x3F;
 *	                 U+0391..U+03A1, U+03A3..U+03AB: +0x20; U+03C2 -> U+03C3;
 *	                 U+03CF -> U+03D7; U+03D8..U+03EF: even +1; U+03F4 -> U+03B8;
 *	                 U+03F7 -> U+03F8; U+03F9 -> U+03F2; U+03FA -> U+03FB;
 *	                 U+03FD..U+03FF: -0x82
 *	  Cyrillic       U+0400..U+040F: +0x50; U+0410..U+042F: +0x20; U+0460..U+0481,
 *	                 U+048A..U+04BF: even +1; U+04C0 -> U+04CF; U+04C1..U+04CE: odd +1;
 *	                 U+04D0..U+052F: even +1
 *	  Armenian       U+0531..U+0556: +0x30
 *	  Latin Ext Add. U+1E00..U+1E95, U+1EA0..U+1EFF: even +1; U+1E9E -> U+00DF
 * Every other code point is its own lower case.
 */
static inline uint32
lower_cp(uint32 cp)
{
	if (cp < 0x100)
		return (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ? cp + 0x20 : cp;
	if (cp < 0x180)
	{
		if (cp == 0x130)
			return 0x69;
		if (cp == 0x178)
			return 0xFF;
		if ((cp <= 0x12F || (cp >= 0x132 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) &&
			(cp & 1) == 0)
			return cp + 1;
		if (((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) && (cp & 1) == 1)
			return cp + 1;
		return cp;
	}
	if (cp < 0x250)
	{
		switch (cp)
		{
			case 0x1C4:
			case 0x1C5:
				return 0x1C6;
			case 0x1C7:
			case 0x1C8:
				return 0x1C9;
			case 0x1CA:
			case 0x1CB:
				return 0x1CC;
			case 0x1F1:
			case 0x1F2:
				return 0x1F3;
			case 0x1F4:
				return 0x1F5;
		}
		if (cp >= 0x1CD && cp <= 0x1DC && (cp & 1) == 1)
			return cp + 1;
		if (((cp >= 0x1DE && cp <= 0x1EF) || (cp >= 0x1F8 && cp <= 0x21F) ||
			 (cp >= 0x222 && cp <= 0x233)) && (cp & 1) == 0)
			return cp + 1;
		return cp;
	}
	if (cp >= 0x370 && cp <= 0x3FF)
	{
		if (cp == 0x370 || cp == 0x372 || cp == 0x376)
			return cp + 1;
		if (cp == 0x37F)
			return 0x3F3;
		if (cp == 0x386)
			return 0x3AC;
		if (cp >= 0x388 && cp <= 0x38A)
			return cp + 0x25;
		if (cp == 0x38C)
			return 0x3CC;
		if (cp >= 0x38E && cp <= 0x38F)
			return cp + 0x3F;
		if ((cp >= 0x391 && cp <= 0x3A1) || (cp >= 0x3A3 && cp <= 0x3AB))
			return cp + 0x20;
		if (cp == 0x3C2)
			return 0x3C3;
		if (cp == 0x3CF)
			return 0x3D7;
		if (cp >= 0x3D8 && cp <= 0x3EF && (cp & 1) == 0)
			return cp + 1;
		switch (cp)
		{
			case 0x3F4:
				return 0x3B8;
			case 0x3F7:
				return 0x3F8;
			case 0x3F9:
				return 0x3F2;
			case 0x3FA:
				return 0x3FB;
		}
		if (cp >= 0x3FD)
			return cp - 0x82;
		return cp;
	}
	if (cp >= 0x400 && cp <= 0x52F)
	{
		if (cp <= 0x40F)
			return cp + 0x50;
		if (cp <= 0x42F)
			return cp + 0x20;
		if (((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x4BF) || cp >= 0x4D0) &&
			(cp & 1) == 0)
			return cp + 1;
		if (cp == 0x4C0)
			return 0x4CF;
		if (cp >= 0x4C1 && cp <= 0x4CE && (cp & 1) == 1)
			return cp + 1;
		return cp;
	}
	if (cp >= 0x531 && cp <= 0x556)
		return cp + 0x30;
	if (cp >= 0x1E00 && cp <= 0x1EFF)
	{
		if (cp == 0x1E9E)
			return 0xDF;
		if ((cp <= 0x1E95 || cp >= 0x1EA0) && (cp & 1) == 0)
			return cp + 1;
	}
	return cp;
}

/*
 * Decode one UTF-8 character at p (n bytes left, n >= 1, p[0] >= 0x80).
 * Sets *len to its byte length; an invalid or truncated sequence is one byte
 * long and decodes to U+FFFD (a separator).
 */
static inline uint32
decode_utf8(const unsigned char *p, int n, int *len)
{
	unsigned char c = p[0];

	if (c >= 0xC2 && c <= 0xDF && n >= 2 && (p[1] & 0xC0) == 0x80)
	{
		*len = 2;
		return ((uint32) (c & 0x1F) << 6) | (p[1] & 0x3F);
	}
	if (c >= 0xE0 && c <= 0xEF && n >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80)
	{
		uint32		cp = ((uint32) (c & 0x0F) << 12) | ((uint32) (p[1] & 0x3F) << 6) | (p[2] & 0x3F);

		if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF))
		{
			*len = 3;
			return cp;
		}
	}
	if (c >= 0xF0 && c <= 0xF4 && n >= 4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
		(p[3] & 0xC0) == 0x80)
	{
		uint32		cp = ((uint32) (c & 0x07) << 18) | ((uint32) (p[1] & 0x3F) << 12) |
			((uint32) (p[2] & 0x3F) << 6) | (p[3] & 0x3F);

		if (cp >= 0x10000 && cp <= 0x10FFFF)
		{
			*len = 4;
			return cp;
		}
	}
	*len = 1;
	return 0xFFFD;
}

/* Append the UTF-8 encoding of cp to buf; returns the bytes written. */
static inline int
encode_utf8(uint32 cp, unsigned char *buf)
{
	if (cp < 0x80)
	{
		buf[0] = cp;
		return 1;
	}
	if (cp < 0x800)
	{
		buf[0] = 0xC0 | (cp >> 6);
		buf[1] = 0x80 | (cp & 0x3F);
		return 2;
	}
	if (cp < 0x10000)
	{
		buf[0] = 0xE0 | (cp >> 12);
		buf[1] = 0x80 | ((cp >> 6) & 0x3F);
		buf[2] = 0x80 | (cp & 0x3F);
		return 3;
	}
	buf[0] = 0xF0 | (cp >> 18);
	buf[1] = 0x80 | ((cp >> 12) & 0x3F);
	buf[2] = 0x80 | ((cp >> 6) & 0x3F);
	buf[3] = 0x80 | (cp & 0x3F);
	return 4;
}

/* ------------------------------------------------------------ counting */

/*
 * Counting features, fast.  A text of 100 characters has about 165 feature
 * occurrences of about 140 distinct features, so most features occur once,
 * and whether an occurrence is new or a repeat is a coin toss for the branch
 * predictor: a plain hash table spends most of its time on mispredicted
 * branches.  So counting is done in two levels:
 *
 *	1. Every occurrence adds its sign to its bucket (as if every tf were 1)
 *	   and looks at a direct-mapped table of "first claimants": the slot its
 *	   hash selects is claimed by the first feature that selects it.  An
 *	   occurrence that finds its slot claimed (by itself or by another
 *	   feature) is a candidate repeat.  This pass has no data-dependent
 *	   branches (conditional moves and unconditional stores).
 *	2. Candidates (repeats and slot collisions, about a fifth of the
 *	   occurrences) are counted exactly in an open-addressing table.  A
 *	   candidate feature's tf is its candidate count, plus one if it claimed
 *	   its slot itself (its first occurrence was then not a candidate).
 *	   Features with tf > 1 then get sign * (1 + ln tf - tf) added, turning
 *	   their tf ones into 1 + ln tf.
 *
 * embedding_features() (recording mode) counts every occurrence exactly in
 * the open-addressing table instead, keeping first-appearance order.
 */

/* feature hashes buffered before counting */
#define HBUF 4096

/* corrections 1 + ln tf - tf for small tf */
#define NWEIGHTS 64
static double tf_correction[NWEIGHTS];
static bool tf_ready = false;

/* A slot of the exact counting table; empty unless gen is the current one. */
typedef struct Slot
{
	uint64		h;				/* feature hash */
	uint32		gen;			/* generation that filled the slot */
	int32		count;			/* occurrences */
} Slot;

struct MqBuiltinScratch
{
	MemoryContext cxt;			/* where everything below lives */
	/* exact counting table (candidates; every feature when recording) */
	Slot	   *slots;			/* capacity `cap` slots */
	uint32		cap;			/* allocated slots (a power of two) */
	uint32		mask;			/* slots in use for this text - 1 */
	uint32		gen;			/* current generation */
	uint32	   *used;			/* slot of each distinct counted feature, by first appearance */
	int			nused;			/* distinct counted features so far */
	/* first level (fast path) */
	uint64	   *keys;			/* first claimant of each slot (0: none) */
	uint32		keycap;			/* allocated slots */
	uint32		keymask;		/* slots in use for this text - 1 */
	uint64	   *hbuf;			/* feature hashes waiting to be counted */
	int			nh;				/* how many */
	uint64	   *cand;			/* candidate repeats of the current flush */
	/* the word and CJK run being read */
	unsigned char *word;		/* lower-cased bytes of the current word */
	int		   *off;			/* byte offset of each character of the word, and the end */
	int		   *cjk;			/* input offset of each character of the current CJK run */
	int			bufcap;			/* capacity of word/off/cjk, in bytes of input */
	uint64		prev_b;			/* FNV state of "b:<previous word> " */
	bool		has_prev;		/* a previous word can pair with the next one */
	/* the vector */
	int			dims;			/* dimensions of the vector being built */
	double	   *acc;			/* per-bucket sums, all zero between texts */
	uint32	   *touched;		/* buckets with a feature in this text */
	int			ntouched;		/* how many */
	uint32	   *stamp;			/* accgen of the last text that touched each bucket */
	uint32		accgen;			/* generation of the current text */
	int			acccap;			/* capacity of acc, touched and stamp */
	/* recording (embedding_features) */
	bool		record;			/* count exactly and keep the feature strings */
	MqFeature  *feats;			/* by first appearance, parallel to used[] */
	int			featcap;
	StringInfoData prevword;	/* previous word, for bigram strings */
};

/* New scratch space in cxt. */
MqBuiltinScratch *
mq_builtin_scratch(MemoryContext cxt)
{
	MqBuiltinScratch *sc = MemoryContextAllocZero(cxt, sizeof(MqBuiltinScratch));
	int			k;

	if (!ascii_ready)
		init_ascii();
	if (!tf_ready)
	{
		for (k = 1; k < NWEIGHTS; k++)
			tf_correction[k] = 1.0 + log((double) k) - k;
		tf_ready = true;
	}
	sc->cxt = cxt;
	sc->cap = 1024;
	sc->slots = MemoryContextAllocZero(cxt, sizeof(Slot) * sc->cap);
	sc->used = MemoryContextAlloc(cxt, sizeof(uint32) * (sc->cap / 2 + 1));
	sc->gen = 1;
	sc->keycap = 1024;
	sc->keys = MemoryContextAlloc(cxt, sizeof(uint64) * sc->keycap);
	sc->hbuf = MemoryContextAlloc(cxt, sizeof(uint64) * HBUF);
	sc->cand = MemoryContextAlloc(cxt, sizeof(uint64) * HBUF);
	return sc;
}

/* Start a new text of len bytes. */
static void
begin_text(MqBuiltinScratch *sc, int len)
{
	uint32		slots = 256;
	uint32		keys = 1024;

	/* the exact table starts small (candidates) or at 4 slots a byte (recording) */
	if (sc->record)
		while (slots < (uint32) len * 4 + 1 && slots < 65536)
			slots <<= 1;
	if (slots > sc->cap)
	{
		pfree(sc->slots);
		pfree(sc->used);
		sc->cap = slots;
		sc->slots = MemoryContextAllocExtended(sc->cxt, sizeof(Slot) * (Size) sc->cap, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		sc->used = MemoryContextAllocHuge(sc->cxt, sizeof(uint32) * (Size) (sc->cap / 2 + 1));
		sc->gen = 0;
	}
	sc->mask = slots - 1;
	if (++sc->gen == 0)
	{
		/* generations wrapped around: clear the table once */
		memset(sc->slots, 0, sizeof(Slot) * (Size) sc->cap);
		sc->gen = 1;
	}
	sc->nused = 0;
	sc->nh = 0;
	sc->has_prev = false;

	if (!sc->record)
	{
		/* first-claimant table: 8 slots a byte of text, 1024 to 65536 */
		while (keys < (uint32) len * 8 && keys < 65536)
			keys <<= 1;
		if (keys > sc->keycap)
		{
			pfree(sc->keys);
			sc->keys = MemoryContextAlloc(sc->cxt, sizeof(uint64) * keys);
			sc->keycap = keys;
		}
		sc->keymask = keys - 1;
		memset(sc->keys, 0, sizeof(uint64) * keys);
	}
}

/*
 * Double the exact table, re-inserting the features counted so far; used[]
 * follows them to their new slots.
 */
static void
grow_table(MqBuiltinScratch *sc)
{
	uint32		slots = (sc->mask + 1) * 2;
	int			n = sc->nused;
	Slot	   *old = palloc(sizeof(Slot) * n);
	uint32		i;
	int			k;

	for (k = 0; k < n; k++)
		old[k] = sc->slots[sc->used[k]];
	if (slots > sc->cap)
	{
		uint32	   *used;

		pfree(sc->slots);
		sc->slots = MemoryContextAllocExtended(sc->cxt, sizeof(Slot) * (Size) slots, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		used = MemoryContextAllocHuge(sc->cxt, sizeof(uint32) * (Size) (slots / 2 + 1));
		pfree(sc->used);
		sc->used = used;
		sc->cap = slots;
		sc->gen = 0;
	}
	sc->mask = slots - 1;
	if (++sc->gen == 0)
	{
		memset(sc->slots, 0, sizeof(Slot) * (Size) sc->cap);
		sc->gen = 1;
	}
	for (k = 0; k < n; k++)
	{
		i = (uint32) (old[k].h >> 32) & sc->mask;
		while (sc->slots[i].gen == sc->gen)
			i = (i + 1) & sc->mask;
		sc->slots[i] = old[k];
		sc->slots[i].gen = sc->gen;
		sc->used[k] = i;
	}
	pfree(old);
}

/* Count one occurrence of the feature with hash h exactly; true if it is new. */
static inline bool
count_feature(MqBuiltinScratch *sc, uint64 h)
{
	uint32		i = (uint32) (h >> 32) & sc->mask;

	for (;;)
	{
		Slot	   *sl = &sc->slots[i];

		if (sl->gen != sc->gen)
		{
			sl->gen = sc->gen;
			sl->h = h;
			sl->count = 1;
			sc->used[sc->nused++] = i;
			if ((uint32) sc->nused * 2 > sc->mask)
				grow_table(sc);
			return true;
		}
		if (sl->h == h)
		{
			sl->count++;
			return false;
		}
		i = (i + 1) & sc->mask;
	}
}

/* The bucket of a feature hash at `dims` dimensions. */
#define BUCKET(h, dims) ((uint32) ((((h) & UINT64CONST(0xffffffff)) * (uint64) (dims)) >> 32))

/* Level 1 over the buffered hashes (see above), then level 2 over the candidates. */
static void
flush_features(MqBuiltinScratch *sc)
{
	const uint64 *hbuf = sc->hbuf;
	int			nh = sc->nh;
	uint64	   *keys = sc->keys;
	uint32		keymask = sc->keymask;
	uint64	   *cand = sc->cand;
	int			nc = 0;
	double	   *acc = sc->acc;
	uint32	   *stamp = sc->stamp;
	uint32	   *touched = sc->touched;
	uint32		accgen = sc->accgen;
	uint64		dims = (uint64) sc->dims;
	int			ntouched = sc->ntouched;
	int			k;

	for (k = 0; k < nh; k++)
	{
		uint64		h = hbuf[k];
		uint32		i = (uint32) (h >> 32) & keymask;
		uint32		b = BUCKET(h, dims);
		uint64		o = keys[i];

		keys[i] = o ? o : h;
		cand[nc] = h;
		/* a zero hash cannot claim a slot: all its occurrences are candidates */
		nc += (o != 0) | (h == 0);
		touched[ntouched] = b;
		ntouched += (stamp[b] != accgen);
		stamp[b] = accgen;
		acc[b] += (double) (1 - 2 * (int) (h >> 63));
	}
	sc->ntouched = ntouched;
	sc->nh = 0;
	for (k = 0; k < nc; k++)
		(void) count_feature(sc, cand[k]);
}

/* After the last flush: turn the tf ones of repeated features into 1 + ln tf. */
static void
correct_repeats(MqBuiltinScratch *sc)
{
	int			k;

	for (k = 0; k < sc->nused; k++)
	{
		const Slot *sl = &sc->slots[sc->used[k]];
		uint64		h = sl->h;
		int64		tf = sl->count + (h != 0 && sc->keys[(uint32) (h >> 32) & sc->keymask] == h);

		if (tf > 1)
		{
			double		c = tf < NWEIGHTS ? tf_correction[tf] : 1.0 + log((double) tf) - tf;

			sc->acc[BUCKET(h, sc->dims)] += (h >> 63) ? -c : c;
		}
	}
}

/* ------------------------------------------------------------ recording */

/* Record a new feature's string (embedding_features); checks the incremental hash. */
static void
record_feature(MqBuiltinScratch *sc, char kind, uint64 h,
			   const unsigned char *a, int alen, const unsigned char *b, int blen)
{
	StringInfoData s;
	MqFeature  *f;

	initStringInfo(&s);
	appendStringInfoChar(&s, kind);
	appendStringInfoChar(&s, ':');
	appendBinaryStringInfo(&s, (const char *) a, alen);
	if (b)
	{
		appendStringInfoChar(&s, ' ');
		appendBinaryStringInfo(&s, (const char *) b, blen);
	}
	if (mq_feature_hash(s.data, s.len) != h)
		elog(ERROR, "builtin embedder: incremental hash of \"%s\" differs from its hash", s.data);
	if (sc->nused > sc->featcap)
	{
		sc->featcap = Max(64, sc->nused * 2);
		sc->feats = sc->feats ? repalloc(sc->feats, sizeof(MqFeature) * sc->featcap) :
			palloc(sizeof(MqFeature) * sc->featcap);
	}
	f = &sc->feats[sc->nused - 1];
	f->kind = kind;
	f->text = pstrdup(s.data + 2);
	f->hash = h;
	f->count = 0;
	pfree(s.data);
}

/*
 * Count a feature: buffer its hash (fast path), or count it now and record
 * its string (embedding_features).
 */
#define COUNT(sc, kind, h, a, alen, b, blen) \
	do { \
		uint64 hh_ = (h); \
		if (!(sc)->record) \
		{ \
			(sc)->hbuf[(sc)->nh++] = hh_; \
			if ((sc)->nh == HBUF) \
				flush_features(sc); \
		} \
		else if (count_feature((sc), hh_)) \
			record_feature((sc), (kind), hh_, (a), (alen), (b), (blen)); \
	} while (0)

/* ------------------------------------------------------------ features */

/* The features of one word: nb lower-cased bytes, nc characters at sc->off. */
static void
word_features(MqBuiltinScratch *sc, int nb, int nc)
{
	const unsigned char *w = sc->word;
	const int  *off = sc->off;
	uint64		hw = tag_state(MQ_FEAT_WORD);
	uint64		hb = tag_state(MQ_FEAT_BIGRAM);
	uint64		tc = tag_state(MQ_FEAT_NGRAM);
	int			i;

	for (i = 0; i < nb; i++)
	{
		hw = FNV_STEP(hw, w[i]);
		hb = FNV_STEP(hb, w[i]);
	}

	/*
	 * Fast path: the word's hashes go straight into the buffer through a local
	 * pointer (at most 2 + 3 nc of them: checked first), so the compiler keeps
	 * the position in a register instead of reloading sc->nh after every
	 * store; an ASCII word needs no character offsets.
	 */
	if (!sc->record && sc->nh + 2 + 3 * nc <= HBUF)
	{
		uint64	   *out = sc->hbuf + sc->nh;

		*out++ = fmix64(hw);
		if (sc->has_prev)
			*out++ = fmix64(fnv_bytes(sc->prev_b, w, nb));
		sc->prev_b = FNV_STEP(hb, ' ');
		sc->has_prev = true;
		if (nb == nc)
		{
			for (i = 0; i + 3 <= nc; i++)
			{
				uint64		h = FNV_STEP(FNV_STEP(FNV_STEP(tc, w[i]), w[i + 1]), w[i + 2]);

				*out++ = fmix64(h);
				if (i + 4 <= nc)
				{
					h = FNV_STEP(h, w[i + 3]);
					*out++ = fmix64(h);
					if (i + 5 <= nc)
						*out++ = fmix64(FNV_STEP(h, w[i + 4]));
				}
			}
		}
		else
		{
			for (i = 0; i + 3 <= nc; i++)
			{
				uint64		h = fnv_bytes(tc, w + off[i], off[i + 3] - off[i]);

				*out++ = fmix64(h);
				if (i + 4 <= nc)
				{
					h = fnv_bytes(h, w + off[i + 3], off[i + 4] - off[i + 3]);
					*out++ = fmix64(h);
					if (i + 5 <= nc)
						*out++ = fmix64(fnv_bytes(h, w + off[i + 4], off[i + 5] - off[i + 4]));
				}
			}
		}
		sc->nh = out - sc->hbuf;
		if (sc->nh > HBUF - 64)
			flush_features(sc);
		return;
	}

	/* general path: recording, or a word too long for the buffer's room */
	COUNT(sc, MQ_FEAT_WORD, fmix64(hw), w, nb, NULL, 0);
	if (sc->has_prev)
	{
		/* the string is "<prev> <word>": record_feature joins a and b with a space */
		COUNT(sc, MQ_FEAT_BIGRAM, fmix64(fnv_bytes(sc->prev_b, w, nb)),
			  (const unsigned char *) sc->prevword.data, sc->prevword.len, w, nb);
	}
	sc->prev_b = FNV_STEP(hb, ' ');
	sc->has_prev = true;
	if (sc->record)
	{
		resetStringInfo(&sc->prevword);
		appendBinaryStringInfo(&sc->prevword, (const char *) w, nb);
	}

	for (i = 0; i + 3 <= nc; i++)
	{
		uint64		h = fnv_bytes(tc, w + off[i], off[i + 3] - off[i]);

		COUNT(sc, MQ_FEAT_NGRAM, fmix64(h), w + off[i], off[i + 3] - off[i], NULL, 0);
		if (i + 4 > nc)
			continue;
		h = fnv_bytes(h, w + off[i + 3], off[i + 4] - off[i + 3]);
		COUNT(sc, MQ_FEAT_NGRAM, fmix64(h), w + off[i], off[i + 4] - off[i], NULL, 0);
		if (i + 5 > nc)
			continue;
		h = fnv_bytes(h, w + off[i + 4], off[i + 5] - off[i + 4]);
		COUNT(sc, MQ_FEAT_NGRAM, fmix64(h), w + off[i], off[i + 5] - off[i], NULL, 0);
	}
}

/* The features of one CJK run: m characters of s at offsets sc->cjk[0..m] (m + 1 = end). */
static void
cjk_features(MqBuiltinScratch *sc, const unsigned char *s, int m)
{
	const int  *c = sc->cjk;
	uint64		tu = tag_state(MQ_FEAT_CJK);
	uint64		tv = tag_state(MQ_FEAT_CJK_BIGRAM);
	int			i;

	for (i = 0; i < m; i++)
	{
		uint64		h = fnv_bytes(tu, s + c[i], c[i + 1] - c[i]);

		COUNT(sc, MQ_FEAT_CJK, fmix64(h), s + c[i], c[i + 1] - c[i], NULL, 0);
		if (i + 1 < m)
		{
			h = fnv_bytes(tv, s + c[i], c[i + 2] - c[i]);
			COUNT(sc, MQ_FEAT_CJK_BIGRAM, fmix64(h), s + c[i], c[i + 2] - c[i], NULL, 0);
		}
	}
}

/*
 * Extract and count the features of a UTF-8 text into sc (one pass: decode,
 * fold, classify, and emit a word's or CJK run's features when it ends).
 */
static void
extract_features(MqBuiltinScratch *sc, const unsigned char *s, int len)
{
	int			pos = 0;
	int			nb = 0,			/* bytes of the current word */
				nc = 0,			/* characters of the current word */
				m = 0;			/* characters of the current CJK run */

	if (len > MQ_EMBED_MAX_TEXT_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("text too long for the builtin embedder"),
				 errdetail("It has %d bytes; the limit is %d.", len, MQ_EMBED_MAX_TEXT_BYTES),
				 errhint("Embed a prefix, e.g. left(t, 100000).")));
	if (len + 1 > sc->bufcap)
	{
		if (sc->word)
		{
			pfree(sc->word);
			pfree(sc->off);
			pfree(sc->cjk);
		}
		sc->bufcap = Max(len + 1, 256);
		sc->word = MemoryContextAlloc(sc->cxt, sc->bufcap);
		sc->off = MemoryContextAlloc(sc->cxt, sizeof(int) * (sc->bufcap + 1));
		sc->cjk = MemoryContextAlloc(sc->cxt, sizeof(int) * (sc->bufcap + 1));
	}
	begin_text(sc, len);

	while (pos < len)
	{
		unsigned char c = s[pos];
		int			cls;
		int			clen;
		uint32		cp;

		if (c < 0x80)
		{
			cls = ascii_class[c];
			if (cls == CC_WORD)
			{
				if (m > 0)
				{
					sc->cjk[m] = pos;
					cjk_features(sc, s, m);
					m = 0;
				}
				/* a run of ASCII word characters at once */
				do
				{
					sc->off[nc++] = nb;
					sc->word[nb++] = ascii_lower[c];
					if (++pos >= len)
						break;
					c = s[pos];
				} while (c < 0x80 && ascii_class[c] == CC_WORD);
				continue;
			}
			else
			{
				if (nb > 0)
				{
					sc->off[nc] = nb;
					word_features(sc, nb, nc);
					nb = nc = 0;
				}
				if (m > 0)
				{
					sc->cjk[m] = pos;
					cjk_features(sc, s, m);
					m = 0;
				}
			}
			pos++;
			continue;
		}

		cp = decode_utf8(s + pos, len - pos, &clen);
		if (cp >= 0xFF01 && cp <= 0xFF5E)
		{
			/* fullwidth ASCII: the ASCII character */
			cp -= 0xFEE0;
			cls = ascii_class[cp];
			cp = ascii_lower[cp];
		}
		else
		{
			cls = classify(cp);
			if (cls == CC_WORD)
				cp = lower_cp(cp);
		}
		if (cls == CC_WORD)
		{
			if (m > 0)
			{
				sc->cjk[m] = pos;
				cjk_features(sc, s, m);
				m = 0;
			}
			sc->off[nc++] = nb;
			nb += encode_utf8(cp, sc->word + nb);
		}
		else
		{
			if (nb > 0)
			{
				sc->off[nc] = nb;
				word_features(sc, nb, nc);
				nb = nc = 0;
			}
			if (cls == CC_CJK)
			{
				sc->cjk[m++] = pos;
				/* a CJK character ends the word sequence: no bigram across it */
				sc->has_prev = false;
			}
			else if (m > 0)
			{
				sc->cjk[m] = pos;
				cjk_features(sc, s, m);
				m = 0;
			}
		}
		pos += clen;
	}
	if (nb > 0)
	{
		sc->off[nc] = nb;
		word_features(sc, nb, nc);
	}
	if (m > 0)
	{
		sc->cjk[m] = len;
		cjk_features(sc, s, m);
	}
	if (sc->nh > 0)
		flush_features(sc);
	if (!sc->record)
		correct_repeats(sc);
}

/* The text as UTF-8 (converted when the database uses another encoding). */
static const unsigned char *
as_utf8(const char *s, int *len)
{
	if (GetDatabaseEncoding() == PG_UTF8)
		return (const unsigned char *) s;
	{
		char	   *u = pg_server_to_any(s, *len, PG_UTF8);

		if (u != s)
			*len = strlen(u);
		return (const unsigned char *) u;
	}
}

/* Embed a text. */
int
mq_builtin_embed(MqBuiltinScratch *sc, const char *text, int len, int dims, float4 *out)
{
	const unsigned char *s = as_utf8(text, &len);
	double		ss = 0,
				scale;
	int			k;

	/*
	 * acc is all zeros between calls; only the buckets a feature touches are
	 * summed, normalised and cleared again, so a text costs its features, not
	 * its dimensions.
	 */
	if (dims > sc->acccap)
	{
		if (sc->acc)
		{
			pfree(sc->acc);
			pfree(sc->touched);
			pfree(sc->stamp);
		}
		sc->acc = MemoryContextAllocZero(sc->cxt, sizeof(double) * dims);
		/* one spare entry: the branch-free pass writes one past the last touched bucket */
		sc->touched = MemoryContextAlloc(sc->cxt, sizeof(uint32) * (dims + 1));
		sc->stamp = MemoryContextAllocZero(sc->cxt, sizeof(uint32) * dims);
		sc->acccap = dims;
		sc->accgen = 0;
	}
	if (++sc->accgen == 0)
	{
		memset(sc->stamp, 0, sizeof(uint32) * sc->acccap);
		sc->accgen = 1;
	}
	sc->dims = dims;
	sc->ntouched = 0;
	sc->record = false;
	PG_TRY();
	{
		extract_features(sc, s, len);
	}
	PG_CATCH();
	{
		/* keep acc all zeros for the next text */
		for (k = 0; k < sc->ntouched; k++)
			sc->acc[sc->touched[k]] = 0;
		PG_RE_THROW();
	}
	PG_END_TRY();

	for (k = 0; k < sc->ntouched; k++)
		ss += sc->acc[sc->touched[k]] * sc->acc[sc->touched[k]];
	memset(out, 0, sizeof(float4) * dims);
	scale = ss > 0 ? 1.0 / sqrt(ss) : 0;
	for (k = 0; k < sc->ntouched; k++)
	{
		uint32		b = sc->touched[k];

		out[b] = (float4) (sc->acc[b] * scale);
		sc->acc[b] = 0;
	}
	return ss > 0 ? 1 : 0;
}

/* The distinct features of a text with their counts. */
MqFeature *
mq_builtin_features(const char *text, int len, int *n)
{
	MqBuiltinScratch *sc = mq_builtin_scratch(CurrentMemoryContext);
	const unsigned char *s = as_utf8(text, &len);
	int			k;

	sc->record = true;
	initStringInfo(&sc->prevword);
	extract_features(sc, s, len);
	for (k = 0; k < sc->nused; k++)
		sc->feats[k].count = sc->slots[sc->used[k]].count;
	*n = sc->nused;
	return sc->feats;
}
