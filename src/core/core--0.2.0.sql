-- marketiq core 0.2.0

CREATE FUNCTION marketiq.version()
RETURNS text AS 'MODULE_PATHNAME', 'mq_version'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.version() IS
'the marketiq library version and the OpenBLAS and GSL builds it runs on (for bug reports)';
