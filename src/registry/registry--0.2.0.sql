-- marketiq registry 0.2.0: models that retrain themselves.
--
-- Three tables hold the registry; they are readable (row level security: each role sees the
-- models of the roles it is a member of, superusers all) but not writable by anyone but the
-- extension owner: rows change only through the registry functions below, which check the
-- caller's rights and write with the owner's.

CREATE TABLE marketiq.models (
    name text PRIMARY KEY
        CONSTRAINT models_name_check CHECK (length(name) BETWEEN 1 AND 128),
    query text NOT NULL,
    schedule interval
        CONSTRAINT models_schedule_check CHECK (schedule IS NULL OR schedule > interval '0'),
    owner regrole NOT NULL,
    kind regtype NOT NULL,
    auto_deploy boolean NOT NULL,
    deployed_version int,
    created_at timestamptz NOT NULL
);
COMMENT ON TABLE marketiq.models IS
'registered models: the query that trains each, its schedule, its owner (the role it trains as) and the deployed version';

CREATE TABLE marketiq.model_versions (
    name text NOT NULL REFERENCES marketiq.models (name) ON DELETE CASCADE,
    version int NOT NULL,
    kind regtype NOT NULL,
    value text NOT NULL,
    trained_at timestamptz NOT NULL,
    seconds float8 NOT NULL,
    rows bigint,
    owner regrole NOT NULL,
    PRIMARY KEY (name, version)
);
COMMENT ON TABLE marketiq.model_versions IS
'every trained version of every model: the model value in its text form, when and how fast it was trained, and the input rows where the model records them';

CREATE TABLE marketiq.job_runs (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL CONSTRAINT job_runs_kind_check CHECK (kind IN ('manual', 'scheduled')),
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    status text NOT NULL CONSTRAINT job_runs_status_check CHECK (status IN ('running', 'succeeded', 'failed')),
    error text,
    version int,
    owner regrole NOT NULL,
    pid int
);
CREATE INDEX job_runs_name_started ON marketiq.job_runs (name, started_at);
COMMENT ON TABLE marketiq.job_runs IS
'one row per training run, manual or scheduled: status running, succeeded or failed, the error of a failed run and the version a successful run created';

SELECT pg_catalog.pg_extension_config_dump('marketiq.models', '');
SELECT pg_catalog.pg_extension_config_dump('marketiq.model_versions', '');
SELECT pg_catalog.pg_extension_config_dump('marketiq.job_runs', '');
SELECT pg_catalog.pg_extension_config_dump('marketiq.job_runs_id_seq', '');

ALTER TABLE marketiq.models ENABLE ROW LEVEL SECURITY;
ALTER TABLE marketiq.model_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE marketiq.job_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY models_owner ON marketiq.models
    FOR SELECT USING (pg_catalog.pg_has_role(owner, 'USAGE'));
CREATE POLICY model_versions_owner ON marketiq.model_versions
    FOR SELECT USING (pg_catalog.pg_has_role(owner, 'USAGE'));
CREATE POLICY job_runs_owner ON marketiq.job_runs
    FOR SELECT USING (pg_catalog.pg_has_role(owner, 'USAGE'));
REVOKE ALL ON marketiq.models, marketiq.model_versions, marketiq.job_runs FROM PUBLIC;
GRANT SELECT ON marketiq.models, marketiq.model_versions, marketiq.job_runs TO PUBLIC;

CREATE FUNCTION marketiq.create_model(name text, query text, schedule interval DEFAULT NULL,
                                      auto_deploy boolean DEFAULT true)
RETURNS void AS 'MODULE_PATHNAME', 'mq_create_model'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION marketiq.create_model(text, text, interval, boolean) IS
'registers a model: query returns one row with one column of a marketiq model type (checked now, without running it); the caller owns the model and every run trains as the caller; schedule NULL = trained only by train()';

CREATE FUNCTION marketiq.train(name text)
RETURNS int AS 'MODULE_PATHNAME', 'mq_train'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION marketiq.train(text) IS
'trains a model now, in a background worker connected as its owner (never with more rights), records the run, stores and (if auto_deploy) deploys the new version and returns its number; a failed run is recorded and its error raised';

CREATE FUNCTION marketiq.deploy(name text, version int)
RETURNS void AS 'MODULE_PATHNAME', 'mq_deploy'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION marketiq.deploy(text, int) IS
'makes an existing version the deployed one, the value marketiq.model() returns';

CREATE FUNCTION marketiq.drop_model(name text)
RETURNS void AS 'MODULE_PATHNAME', 'mq_drop_model'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION marketiq.drop_model(text) IS
'removes a model, its versions and its run history';

CREATE FUNCTION marketiq.model(name text, kind anyelement)
RETURNS anyelement AS 'MODULE_PATHNAME', 'mq_model_get'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION marketiq.model(text, anyelement) IS
'the deployed version of a model, typed: marketiq.model(''name'', NULL::marketiq.markov); read once per query, so views over it follow retraining';

CREATE VIEW marketiq.model_status WITH (security_invoker = true) AS
SELECT m.name,
       m.owner,
       m.kind,
       m.schedule,
       m.deployed_version,
       r.started_at AS last_run,
       r.status AS last_status,
       CASE WHEN r.status = 'failed' THEN r.error END AS last_error,
       CASE WHEN m.schedule IS NULL THEN NULL
            ELSE greatest(s.started_at + m.schedule, f.started_at + m.schedule,
                          CASE WHEN s.started_at IS NULL AND f.started_at IS NULL
                               THEN m.created_at END)
       END AS next_due
FROM marketiq.models m
LEFT JOIN LATERAL (SELECT started_at, status, error FROM marketiq.job_runs j
                   WHERE j.name = m.name ORDER BY started_at DESC, id DESC LIMIT 1) r ON true
LEFT JOIN LATERAL (SELECT max(started_at) AS started_at FROM marketiq.job_runs j
                   WHERE j.name = m.name AND j.status = 'succeeded') s ON true
LEFT JOIN LATERAL (SELECT max(started_at) AS started_at FROM marketiq.job_runs j
                   WHERE j.name = m.name AND j.status = 'failed'
                     AND j.started_at > coalesce(s.started_at, '-infinity')) f ON true;
COMMENT ON VIEW marketiq.model_status IS
'one row per model you can see: its schedule, deployed version, the last run and its status or error, and when the worker will train it next';
GRANT SELECT ON marketiq.model_status TO PUBLIC;
