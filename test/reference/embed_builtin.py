#!/usr/bin/python3
"""Independent reference of marketiq's builtin embedder, written from the README's specification
("### Embedding columns", "The builtin embedder"), not from the C code.

    /usr/bin/python3 test/reference/embed_builtin.py 'Great service' 8     # features and vector
    /usr/bin/python3 test/reference/embed_builtin.py --check               # compare with a server

--check connects with psql (PGHOST/PGPORT/PGDATABASE from the environment), embeds a few hundred
generated texts (ASCII, Latin, Greek, Cyrillic, CJK, emoji, fullwidth forms, invalid-looking
mixtures) at several dims with marketiq.embed and compares every element to this script's (1e-6).
"""
import math
import subprocess
import sys
import unicodedata  # only to name characters in messages

FNV_OFFSET = 0xcbf29ce484222325
FNV_PRIME = 0x100000001b3
M64 = (1 << 64) - 1


def fnv1a64(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & M64
    return h


def fmix64(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xff51afd7ed558ccd) & M64
    k ^= k >> 33
    k = (k * 0xc4ceb9fe1a85ec53) & M64
    k ^= k >> 33
    return k


def feature_hash(s: str) -> int:
    return fmix64(fnv1a64(s.encode('utf-8')))


# --- the README's tables ---------------------------------------------------------------------

SEP_RANGES = [
    (0x0080, 0x00BF), (0x00D7, 0x00D7), (0x00F7, 0x00F7), (0x037E, 0x037E), (0x0387, 0x0387),
    (0x055A, 0x055F), (0x0589, 0x058A), (0x05BE, 0x05BE), (0x05C0, 0x05C0), (0x05C3, 0x05C3),
    (0x05C6, 0x05C6), (0x05F3, 0x05F4), (0x0600, 0x060F), (0x061B, 0x061F), (0x066A, 0x066D),
    (0x06D4, 0x06D4), (0x0964, 0x0965), (0x0970, 0x0970), (0x0E4F, 0x0E4F), (0x0E5A, 0x0E5B),
    (0x10FB, 0x10FB), (0x1360, 0x1368), (0x1680, 0x1680), (0x17D4, 0x17DA), (0x1800, 0x180F),
    (0x2000, 0x2BFF), (0x2E00, 0x2E7F), (0x2FF0, 0x2FFF), (0x3000, 0x3004), (0x3008, 0x303F),
    (0x30FB, 0x30FB), (0x3200, 0x33FF), (0x4DC0, 0x4DFF), (0xD800, 0xF8FF), (0xFD3E, 0xFD3F),
    (0xFE00, 0xFE1F), (0xFE30, 0xFE6F), (0xFEFF, 0xFEFF), (0xFF00, 0xFF00), (0xFF5F, 0xFF65),
    (0xFFE0, 0xFFFF), (0x1F000, 0x1FBFF), (0xE0000, 0x10FFFF),
]
CJK_RANGES = [
    (0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3040, 0x30FA), (0x30FC, 0x30FF), (0x3100, 0x312F),
    (0x3190, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFF66, 0xFF9F),
    (0x1B000, 0x1B16F), (0x20000, 0x323AF),
]


def char_class(cp: int) -> str:
    """'word', 'cjk' or 'sep', for a code point after folding fullwidth ASCII."""
    if cp < 0x80:
        c = chr(cp)
        return 'word' if ('0' <= c <= '9' or 'a' <= c <= 'z' or 'A' <= c <= 'Z') else 'sep'
    for lo, hi in CJK_RANGES:
        if lo <= cp <= hi:
            return 'cjk'
    for lo, hi in SEP_RANGES:
        if lo <= cp <= hi:
            return 'sep'
    return 'word'


def lower(cp: int) -> int:
    """The README's lower-casing table."""
    even, odd = cp % 2 == 0, cp % 2 == 1
    if 0x41 <= cp <= 0x5A:
        return cp + 0x20
    if 0xC0 <= cp <= 0xDE and cp != 0xD7:
        return cp + 0x20
    # Latin Extended-A
    if cp == 0x130:
        return 0x69
    if cp == 0x178:
        return 0xFF
    if (0x100 <= cp <= 0x12F or 0x132 <= cp <= 0x137 or 0x14A <= cp <= 0x177) and even:
        return cp + 1
    if (0x139 <= cp <= 0x148 or 0x179 <= cp <= 0x17E) and odd:
        return cp + 1
    # Latin Extended-B
    pairs = {0x1C4: 0x1C6, 0x1C5: 0x1C6, 0x1C7: 0x1C9, 0x1C8: 0x1C9, 0x1CA: 0x1CC, 0x1CB: 0x1CC,
             0x1F1: 0x1F3, 0x1F2: 0x1F3, 0x1F4: 0x1F5}
    if cp in pairs:
        return pairs[cp]
    if 0x1CD <= cp <= 0x1DC and odd:
        return cp + 1
    if (0x1DE <= cp <= 0x1EF or 0x1F8 <= cp <= 0x21F or 0x222 <= cp <= 0x233) and even:
        return cp + 1
    # Greek
    if cp in (0x370, 0x372, 0x376):
        return cp + 1
    greek = {0x37F: 0x3F3, 0x386: 0x3AC, 0x38C: 0x3CC, 0x3C2: 0x3C3, 0x3CF: 0x3D7, 0x3F4: 0x3B8,
             0x3F7: 0x3F8, 0x3F9: 0x3F2, 0x3FA: 0x3FB}
    if cp in greek:
        return greek[cp]
    if 0x388 <= cp <= 0x38A:
        return cp + 0x25
    if 0x38E <= cp <= 0x38F:
        return cp + 0x3F
    if 0x391 <= cp <= 0x3A1 or 0x3A3 <= cp <= 0x3AB:
        return cp + 0x20
    if 0x3D8 <= cp <= 0x3EF and even:
        return cp + 1
    if 0x3FD <= cp <= 0x3FF:
        return cp - 0x82
    # Cyrillic
    if 0x400 <= cp <= 0x40F:
        return cp + 0x50
    if 0x410 <= cp <= 0x42F:
        return cp + 0x20
    if (0x460 <= cp <= 0x481 or 0x48A <= cp <= 0x4BF or 0x4D0 <= cp <= 0x52F) and even:
        return cp + 1
    if cp == 0x4C0:
        return 0x4CF
    if 0x4C1 <= cp <= 0x4CE and odd:
        return cp + 1
    # Armenian
    if 0x531 <= cp <= 0x556:
        return cp + 0x30
    # Latin Extended Additional
    if cp == 0x1E9E:
        return 0xDF
    if (0x1E00 <= cp <= 0x1E95 or 0x1EA0 <= cp <= 0x1EFF) and even:
        return cp + 1
    return cp


def features(text: str):
    """The features of a text in order of occurrence, as 'tag:string'."""
    out = []
    words_prev = None          # previous word that can pair with the next one
    word, cjk = [], []

    def end_word():
        nonlocal words_prev, word
        if not word:
            return
        w = ''.join(word)
        out.append('w:' + w)
        if words_prev is not None:
            out.append('b:' + words_prev + ' ' + w)
        words_prev = w
        for i in range(len(word)):
            for n in (3, 4, 5):
                if i + n <= len(word):
                    out.append('c:' + ''.join(word[i:i + n]))
        word = []

    def end_cjk():
        nonlocal cjk
        for i in range(len(cjk)):
            out.append('u:' + cjk[i])
            if i + 1 < len(cjk):
                out.append('v:' + cjk[i] + cjk[i + 1])
        cjk = []

    for ch in text:
        cp = ord(ch)
        if 0xFF01 <= cp <= 0xFF5E:
            cp -= 0xFEE0
        cls = char_class(cp)
        if cls == 'word':
            end_cjk()
            word.append(chr(lower(cp)))
        elif cls == 'cjk':
            end_word()
            words_prev = None
            cjk.append(ch)
        else:
            end_word()
            end_cjk()
    end_word()
    end_cjk()
    return out


def embed(text: str, dims: int = 256):
    """(vector or None, [(feature, hash, bucket0, sign, count, weight)] in first-appearance order)."""
    occ = features(text)
    counts, order = {}, []
    for f in occ:
        h = feature_hash(f)
        if h not in counts:
            counts[h] = 0
            order.append((f, h))
        counts[h] += 1
    acc = [0.0] * dims
    table = []
    for f, h in order:
        tf = counts[h]
        w = 1 + math.log(tf)
        bucket = ((h & 0xffffffff) * dims) >> 32
        sign = -1 if h >> 63 else 1
        acc[bucket] += sign * w
        table.append((f, h, bucket, sign, tf, w))
    norm = math.sqrt(sum(a * a for a in acc))
    if norm == 0:
        return None, table
    return [a / norm for a in acc], table


def signed64(h):
    return h - (1 << 64) if h >> 63 else h


def sample_texts():
    """Deterministic texts covering every class and table."""
    base = [
        'Great service, fast delivery!', 'the the the cat', 'go go', 'a', '', '   ...!?  ',
        'Late delivery, refund please.', 'Don\'t ship it again', 'ÉCOLE Über straße ÀÉÎÕÜ',
        'ĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĲĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ',
        'ǄǅǆǇǈǉǊǋǌǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǸǹȘșȚțȢȣȲȳ', 'ΑΒΓΔ Έ Ύ ΏΣΑΣ ςσ ΆΪΫ ϘϙϴϷϹϺϽϾϿ Ϳ Ͱ Ͳ Ͷ',
        'ПРИВЕТ Ёж Ѐѐ ЍЎЏ ѠѢҊҌӀӁӃӐӒԀԮ', 'ԱԲԳ ՈՒՍ', 'ḀḂẞẠẾỸ Việt Nam', 'İstanbul ıi',
        '你好，世界', '这个产品很好用，物流也很快', '物流太慢了，我要退款', 'iPhone手机很好用5星好评',
        'ｆｕｌｌｗｉｄｔｈ　ＡＢＣ１２３！', 'ｶﾀｶﾅ ひらがな カタカナ・テスト ー', '々〆〇 ㈠ ㎡',
        '😀 emoji 👍🏽 great', 'mixed 中文 and English 文字', 'tabs\tand\nnewlines\r\n',
        'µ ª º × ÷ ¿¡', 'Ꭰ Ꮳ ꮳ', 'العربية، نعم؟', 'שלום׃ עולם', 'हिन्दी। भाषा', 'ไทย๏ภาษา',
        '한국어 문장입니다', 'e\u0301cole cafe\u0301', 'x' * 300, 'abc' * 50,
        '𠀀𠀁 𪜀 𫝀', '\ufeffBOM text', 'zero\u200bwidth', 'a-b_c.d/e:f',
    ]
    # generated mixtures, deterministic
    pool = [chr(c) for c in list(range(0x20, 0x7f)) + list(range(0xa0, 0x250)) + list(range(0x370, 0x530)) +
            list(range(0x3000, 0x3100)) + list(range(0x4e00, 0x4e80)) + list(range(0xff00, 0xffa0)) +
            list(range(0x1e00, 0x1f00)) + [0x1f600, 0x1f44d, 0x20000, 0x2a700, 0xe000]]
    x = 12345
    for i in range(300):
        n = 1 + i % 60
        s = []
        for j in range(n):
            x = (x * 6364136223846793005 + 1442695040888963407) & M64
            s.append(pool[(x >> 33) % len(pool)])
        base.append(''.join(s))
    return base


def check():
    texts = sample_texts()
    bad = 0
    for dims in (1, 7, 64, 256):
        sql = "COPY (SELECT i, marketiq.embed(t, 'builtin', %d) FROM unnest($1) WITH ORDINALITY u(t, i)) TO STDOUT" % dims
        # pass texts through a temp table to avoid quoting issues
        lit = ','.join("$q$%s$q$" % t for t in texts)
        q = ("SELECT u.i, marketiq.embed(u.t, 'builtin', %d) FROM unnest(ARRAY[%s]::text[]) WITH ORDINALITY u(t, i) ORDER BY u.i"
             % (dims, lit))
        out = subprocess.run(['psql', '-X', '-At', '-F', '|', '-c', q], capture_output=True, text=True, check=True).stdout
        rows = out.rstrip('\n').split('\n')
        assert len(rows) == len(texts), (len(rows), len(texts))
        for t, row in zip(texts, rows):
            i, v = row.split('|', 1)
            mine, _ = embed(t, dims)
            if v == '':
                ok = mine is None
            else:
                got = [float(z) for z in v.strip('{}').split(',')]
                ok = mine is not None and len(got) == dims and all(abs(a - b) < 1e-6 for a, b in zip(got, mine))
            if not ok:
                bad += 1
                print('MISMATCH dims=%d text=%r\n  server %s\n  python %s' % (dims, t, v[:200], str(mine)[:200]))
    print('%d texts x 4 dims compared, %d mismatches' % (len(texts), bad))
    return bad == 0


if __name__ == '__main__':
    if sys.argv[1:] == ['--check']:
        sys.exit(0 if check() else 1)
    text = sys.argv[1]
    dims = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    vec, table = embed(text, dims)
    for f, h, b, s, tf, w in table:
        print('%-30s hash %20d bucket %4d sign %+d count %d weight %.6f' % (f, signed64(h), b + 1, s, tf, w))
    print('vector:', None if vec is None else '{' + ','.join('%.8g' % v for v in vec) + '}')
