-- upgrade: installing the oldest version and updating to the newest gives exactly the objects
-- of a fresh install of the newest (functions with their bodies, volatility, parallel
-- safety and strictness, aggregates with their support functions, types, tables and comments).
-- It runs in a database of its own, so the rest of the suite keeps its extension.
CREATE DATABASE marketiq_upgrade;
\c marketiq_upgrade

CREATE VIEW ext_objects AS
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS object,
       concat_ws(' | ',
         (SELECT concat_ws(',', p.prosrc, p.probin, p.provolatile, p.proparallel, p.proisstrict,
                           p.prosecdef, p.prorettype::regtype, pg_get_function_arguments(p.oid),
                           p.proconfig::text, a.aggtransfn, a.aggcombinefn, a.aggfinalfn,
                           a.aggtranstype::regtype, a.agginitval)
          FROM pg_proc p LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
          WHERE d.classid = 'pg_proc'::regclass AND p.oid = d.objid),
         (SELECT concat_ws(',', t.typinput, t.typoutput, t.typreceive, t.typsend, t.typalign,
                           t.typstorage, t.typlen)
          FROM pg_type t WHERE d.classid = 'pg_type'::regclass AND t.oid = d.objid),
         (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum)
          FROM pg_attribute a
          WHERE d.classid = 'pg_class'::regclass AND a.attrelid = d.objid AND a.attnum > 0 AND NOT a.attisdropped),
         obj_description(d.objid, (SELECT relname FROM pg_class WHERE oid = d.classid))) AS detail
FROM pg_depend d
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'marketiq'
WHERE d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass;

SELECT version AS oldest
FROM pg_available_extension_versions WHERE name = 'marketiq'
ORDER BY string_to_array(version, '.')::int[] LIMIT 1 \gset
SET client_min_messages = warning;
CREATE EXTENSION marketiq VERSION :'oldest';
ALTER EXTENSION marketiq UPDATE;
RESET client_min_messages;
SELECT e.extversion = a.default_version AS updated_to_default
FROM pg_extension e JOIN pg_available_extensions a ON a.name = e.extname
WHERE e.extname = 'marketiq';
CREATE TABLE upgraded AS SELECT * FROM ext_objects;

DROP EXTENSION marketiq;
SET client_min_messages = warning;
CREATE EXTENSION marketiq;
RESET client_min_messages;
CREATE TABLE fresh AS SELECT * FROM ext_objects;

-- no object differs (each side lists what the other lacks; both must be empty)
SELECT 'only after upgrade' AS side, * FROM (TABLE upgraded EXCEPT TABLE fresh) a
UNION ALL
SELECT 'only in fresh install', * FROM (TABLE fresh EXCEPT TABLE upgraded) b;
SELECT count(*) > 0 AS has_objects FROM fresh;

-- every function, aggregate and type of the extension has a COMMENT, except the support
-- functions behind types (input/output/receive/send) and aggregates (transition/combine/final)
SELECT pg_describe_object(d.classid, d.objid, 0) AS uncommented
FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'marketiq'
WHERE d.deptype = 'e' AND d.classid IN ('pg_proc'::regclass, 'pg_type'::regclass)
  AND obj_description(d.objid, CASE WHEN d.classid = 'pg_proc'::regclass THEN 'pg_proc' ELSE 'pg_type' END) IS NULL
  AND NOT EXISTS (SELECT 1 FROM pg_type t WHERE d.objid IN (t.typinput, t.typoutput, t.typreceive, t.typsend))
  AND NOT EXISTS (SELECT 1 FROM pg_aggregate a WHERE d.objid IN (a.aggtransfn, a.aggcombinefn, a.aggfinalfn,
                                                                  a.aggserialfn, a.aggdeserialfn))
ORDER BY 1;

-- the C library and the SQL objects are the same release
SELECT split_part(marketiq.version(), ' ', 2) = extversion AS library_matches_sql,
       marketiq.version() ~ '^marketiq [0-9.]+ \(OpenBLAS .*; GSL [0-9.]+\)$' AS version_format
FROM pg_extension WHERE extname = 'marketiq';

\c contrib_regression
DROP DATABASE marketiq_upgrade;
