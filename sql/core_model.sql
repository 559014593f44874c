-- core_model: the model-value machinery (src/core/model.c, modelio.c) through the internal
-- marketiq._testmodel type, which has one section of every kind: int64 "n", float8 "score",
-- text "label", int32[] "ids", int64[] "counts", float8[] "values", text[] "names".
-- Its semantic check: ids/counts/values have one element per entry, ids index names,
-- counts are >= 0 and add up to n.

-- a valid literal prints back in canonical form (schema order, shortest exact floats)
SELECT '{"names":["a","b"],"kind":"_testmodel","format":1,"n":3,"score":1.5,
         "label":"caf\u00e9 \"q\" \\ \n","ids":[1,0],"counts":[1,2],"values":[0.1,1.4]}'::marketiq._testmodel;

-- text round trip is exact, bit for bit, including non-finite values, -0, the smallest
-- subnormal, the largest double and 0.1 (not exactly representable)
CREATE TABLE tm (id int, m marketiq._testmodel);
INSERT INTO tm VALUES
  (1, '{"kind":"_testmodel","format":1,"n":0,"score":"NaN","label":"","ids":[],"counts":[],"values":[],"names":[]}'),
  (2, '{"kind":"_testmodel","format":1,"n":10,"score":-0,"label":"\ud83d\ude00 emoji","ids":[0,1,2,3,4],
        "counts":[1,2,3,4,0],"values":["Infinity","-Infinity",5e-324,1.7976931348623157e308,0.1],
        "names":["x","y","z","w",""]}');
SELECT id, m FROM tm ORDER BY id;
SELECT id, m::text::marketiq._testmodel::text = m::text AS text_roundtrip FROM tm ORDER BY id;
-- the floats themselves survive, not only their text
SELECT e.name, e.sum, e.sum = ANY (ARRAY['Infinity', '-Infinity', 5e-324, 1.7976931348623157e308, 0.1]::float8[]) AS exact
FROM tm, marketiq._testmodel_entries(m) e WHERE id = 2 ORDER BY e.name;
-- the text form is JSON: analysts can look inside with jsonb
SELECT (m::text::jsonb)->'names' AS names, (m::text::jsonb)->>'kind' AS kind FROM tm WHERE id = 2;

-- binary round trip through COPY (FORMAT binary), which uses the send and receive functions
SELECT '/tmp/marketiq_regress_' || current_setting('port') || '.bin' AS binfile \gset
COPY tm TO :'binfile' (FORMAT binary);
CREATE TABLE tm2 (LIKE tm);
COPY tm2 FROM :'binfile' (FORMAT binary);
SELECT a.id, a.m::text = b.m::text AS binary_roundtrip FROM tm a JOIN tm2 b USING (id) ORDER BY id;

-- malformed binary input, crafted from that file: byte 26 (1-based) is where the first
-- value's data starts (19-byte file header, then int16 field count, int32 id length, int32 id,
-- int16 ... see the offsets below), so we rewrite a one-row file around a known value
TRUNCATE tm2;
DELETE FROM tm WHERE id = 1;
COPY (SELECT m FROM tm) TO :'binfile' (FORMAT binary);
CREATE TABLE one (m marketiq._testmodel);
-- writes bytes to a server-side file (through a large object)
CREATE FUNCTION write_file(path text, data bytea) RETURNS void LANGUAGE plpgsql AS $$
DECLARE l oid;
BEGIN
  l := lo_from_bytea(0, data);
  PERFORM lo_export(l, path);
  PERFORM lo_unlink(l);
END $$;
SELECT pg_read_binary_file(:'binfile') AS good \gset
-- file layout: 11-byte signature, int32 flags, int32 extension length (19 bytes), then the
-- tuple: int16 field count (2), int32 field length (4), then the value at byte 26
-- a wrong kind id (int16 at bytes 26-27)
SELECT write_file(:'binfile', overlay(:'good'::bytea PLACING '\x0063'::bytea FROM 26 FOR 2));
COPY one FROM :'binfile' (FORMAT binary);
-- an unsupported format (int16 at bytes 28-29)
SELECT write_file(:'binfile', overlay(:'good'::bytea PLACING '\x0009'::bytea FROM 28 FOR 2));
COPY one FROM :'binfile' (FORMAT binary);
-- a section type byte changed (the first section's type is byte 34)
SELECT write_file(:'binfile', overlay(:'good'::bytea PLACING '\x07'::bytea FROM 34 FOR 1));
COPY one FROM :'binfile' (FORMAT binary);
-- an element count far larger than the bytes that follow (int32 count of the int32[] "ids"
-- section: after n (1+4+8), score (1+4+8) and label (1+4+4+10 bytes of text: the emoji is 4 bytes) sections)
SELECT write_file(:'binfile', overlay(:'good'::bytea PLACING '\x7fffffff'::bytea FROM 26 + 8 + 13 + 13 + 19 + 1 FOR 4));
COPY one FROM :'binfile' (FORMAT binary);
-- an id pointing past the names (the first int32 of "ids"): layout is fine, the kind's check is not
SELECT write_file(:'binfile', overlay(:'good'::bytea PLACING '\x00000063'::bytea FROM 26 + 8 + 13 + 13 + 19 + 5 FOR 4));
COPY one FROM :'binfile' (FORMAT binary);
-- a truncated value (the field length says 20 bytes and the tuple ends there)
SELECT write_file(:'binfile', substr(:'good'::bytea, 1, 21) || '\x00000014'::bytea || substr(:'good'::bytea, 26, 20) || '\xffff'::bytea);
COPY one FROM :'binfile' (FORMAT binary);
-- the untouched file still loads
SELECT write_file(:'binfile', :'good'::bytea);
COPY one FROM :'binfile' (FORMAT binary);
SELECT m::text = (SELECT m::text FROM tm) AS reloaded FROM one;
SELECT write_file(:'binfile', '');

-- malformed text input: each a clear error with the position
SELECT ''::marketiq._testmodel;
SELECT '[]'::marketiq._testmodel;
SELECT '{}'::marketiq._testmodel;
SELECT '{"kind":"linreg","format":1}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":2}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":0}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":0,"n":0}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"bogus":0}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":"0"}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":1.5}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":99999999999999999999}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":0,"score":1e400}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":0,"score":"nan"}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":0,"score":01}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":0,"score":1,"label":"abc}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":0,"score":1,"label":"\u0000"}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":0,"score":1,"label":"\ud83d"}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":0,"score":1,"label":"","ids":[3000000000]}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":0,"score":1,"label":"","ids":[1,]}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":0,"score":1,"label":"","ids":[],"counts":[],"values":[],"names":[]} x'::marketiq._testmodel;
-- layout fine, content inconsistent: the kind's check
SELECT '{"kind":"_testmodel","format":1,"n":1,"score":1,"label":"","ids":[5],"counts":[1],"values":[1],"names":["a"]}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":-1,"score":1,"label":"","ids":[0],"counts":[-1],"values":[1],"names":["a"]}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":2,"score":1,"label":"","ids":[0],"counts":[1],"values":[1],"names":["a"]}'::marketiq._testmodel;
SELECT '{"kind":"_testmodel","format":1,"n":1,"score":1,"label":"","ids":[0],"counts":[1],"values":[1,2],"names":["a"]}'::marketiq._testmodel;

-- a value larger than marketiq.max_model_bytes is refused with a hint
SET marketiq.max_model_bytes = '1MB';
SELECT ('{"kind":"_testmodel","format":1,"n":0,"score":1,"label":"","ids":[],"counts":[],"values":['
        || (SELECT string_agg('1', ',') FROM generate_series(1, 200000)) || '],"names":[]}')::marketiq._testmodel;
RESET marketiq.max_model_bytes;
SET marketiq.max_model_bytes = '100kB';
SHOW marketiq.max_model_bytes;
RESET marketiq.max_model_bytes;
-- the marketiq.* prefix is reserved: a misspelt setting is an error, not a silent placeholder
SET marketiq.max_model_byte = '1MB';

DROP TABLE tm, tm2, one;
DROP FUNCTION write_file(text, bytea);
