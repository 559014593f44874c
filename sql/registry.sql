-- registry: models that retrain themselves (src/registry).  Training runs in a background
-- worker connected as the model's owner; these tests use the internal _test_accum aggregate
-- (src/core/selftest.c) as the model, whose value is easy to check by hand: count and sum of
-- v per key k.
CREATE TABLE reg_events (k text, v float8);
INSERT INTO reg_events VALUES ('a', 1), ('a', 2), ('b', 10);
CREATE TABLE reg_secret (k text, v float8);
INSERT INTO reg_secret VALUES ('s', 1);

CREATE ROLE regress_mq_alice LOGIN;
CREATE ROLE regress_mq_bob LOGIN;
CREATE ROLE regress_mq_nologin NOLOGIN;
GRANT USAGE ON SCHEMA marketiq TO regress_mq_alice, regress_mq_bob, regress_mq_nologin;
GRANT SELECT ON reg_events TO regress_mq_alice, regress_mq_bob, regress_mq_nologin;
GRANT SELECT ON reg_secret TO regress_mq_alice;   -- bob may not read it
GRANT CREATE ON SCHEMA public TO regress_mq_alice;

-- the registry tables are kept by pg_dump
SELECT unnest(extconfig)::regclass AS dumped FROM pg_extension WHERE extname = 'marketiq' ORDER BY 1;

SET ROLE regress_mq_alice;
SELECT marketiq.create_model('events', 'SELECT marketiq._test_accum(k, v) FROM public.reg_events');
SELECT name, owner, kind, schedule, deployed_version, last_status FROM marketiq.model_status;
-- train: version 1, deployed (auto_deploy defaults to true); a: 2 rows summing 3, b: 1 row of 10
SELECT marketiq.train('events') AS version;
SELECT * FROM marketiq._testmodel_entries(marketiq.model('events', NULL::marketiq._testmodel)) ORDER BY name;
SELECT name, version, kind, rows, seconds >= 0 AS timed, value = (SELECT marketiq._test_accum(k, v)::text FROM reg_events) AS value_ok
FROM marketiq.model_versions;
SELECT name, kind, status, error, version, owner FROM marketiq.job_runs ORDER BY id;

-- new data, a new version, deployed; an older version can be deployed again
RESET ROLE;
INSERT INTO reg_events VALUES ('c', 5);
SET ROLE regress_mq_alice;
SELECT marketiq.train('events') AS version;
SELECT count(*) AS keys FROM marketiq._testmodel_entries(marketiq.model('events', NULL::marketiq._testmodel));
SELECT marketiq.deploy('events', 1);
SELECT count(*) AS keys FROM marketiq._testmodel_entries(marketiq.model('events', NULL::marketiq._testmodel));
SELECT marketiq.deploy('events', 2);

-- a view over the deployed model follows retraining without being changed
CREATE VIEW alice_view AS
SELECT * FROM marketiq._testmodel_entries(marketiq.model('events', NULL::marketiq._testmodel));
SELECT count(*) FROM alice_view;

-- a failed run: recorded with its error, raised by train(), the deployed version keeps serving
SELECT marketiq.create_model('fragile', 'SELECT marketiq._test_accum(k, 1 / (v - 99)) FROM public.reg_events');
SELECT marketiq.train('fragile') AS version;
RESET ROLE;
INSERT INTO reg_events VALUES ('boom', 99);
SET ROLE regress_mq_alice;
SELECT marketiq.train('fragile');
SELECT name, deployed_version, last_status, last_error FROM marketiq.model_status WHERE name = 'fragile';
SELECT count(*) AS keys FROM marketiq._testmodel_entries(marketiq.model('fragile', NULL::marketiq._testmodel));
SELECT name, status, error, version FROM marketiq.job_runs WHERE name = 'fragile' ORDER BY id;
RESET ROLE;
DELETE FROM reg_events WHERE v = 99;
SET ROLE regress_mq_alice;

-- auto_deploy off: versions are stored, deploying is up to you
SELECT marketiq.create_model('manual_deploy', 'SELECT marketiq._test_accum(k, v) FROM public.reg_events', NULL, false);
SELECT marketiq.train('manual_deploy') AS version;
SELECT marketiq.model('manual_deploy', NULL::marketiq._testmodel);
SELECT marketiq.deploy('manual_deploy', 1);
SELECT (marketiq.model('manual_deploy', NULL::marketiq._testmodel)::text::jsonb)->'n' AS n;

-- runs that return the wrong thing fail cleanly
SELECT marketiq.create_model('none', 'SELECT marketiq._test_accum(k, v) FROM public.reg_events WHERE false');
SELECT marketiq.train('none');
SELECT marketiq.create_model('two_rows', 'SELECT marketiq._test_accum(k, v) FROM public.reg_events GROUP BY k');
SELECT marketiq.train('two_rows');
SELECT name, status, error FROM marketiq.job_runs WHERE name IN ('none', 'two_rows') ORDER BY id;

-- bad input at creation
SELECT marketiq.create_model('events', 'SELECT marketiq._test_accum(k, v) FROM public.reg_events');
SELECT marketiq.create_model('not_a_model', 'SELECT 1');
SELECT marketiq.create_model('two_cols', 'SELECT marketiq._test_accum(k, v), 1 FROM public.reg_events');
SELECT marketiq.create_model('insert', 'INSERT INTO public.reg_events VALUES (''x'', 1) RETURNING NULL::marketiq._testmodel');
SELECT marketiq.create_model('two_statements', 'SELECT 1; SELECT 2');
SELECT marketiq.create_model('syntax', 'SELEC 1');
SELECT marketiq.create_model('no_table', 'SELECT marketiq._test_accum(k, v) FROM public.no_such_table');
SELECT marketiq.create_model('zero', 'SELECT marketiq._test_accum(k, v) FROM public.reg_events', interval '0');
SELECT marketiq.create_model('negative', 'SELECT marketiq._test_accum(k, v) FROM public.reg_events', interval '-1 hour');
SELECT marketiq.create_model('', 'SELECT marketiq._test_accum(k, v) FROM public.reg_events');
SELECT marketiq.create_model(repeat('x', 129), 'SELECT marketiq._test_accum(k, v) FROM public.reg_events');
SELECT marketiq.create_model(NULL, 'SELECT 1');
SELECT marketiq.create_model('q', NULL);
SELECT marketiq.train('no_such_model');
SELECT marketiq.deploy('no_such_model', 1);
SELECT marketiq.deploy('events', 99);
SELECT marketiq.drop_model('no_such_model');
SELECT marketiq.model('no_such_model', NULL::marketiq._testmodel);
SELECT marketiq.model('events', NULL::text);
SELECT marketiq.model('events', NULL::int);

-- registry rows change only through the functions: no direct writes, not even by the owner
INSERT INTO marketiq.models VALUES ('x', 'SELECT 1', NULL, 'regress_mq_alice', 'int4', true, NULL, now());
UPDATE marketiq.models SET owner = 'regress_mq_bob' WHERE name = 'events';
DELETE FROM marketiq.job_runs;
UPDATE marketiq.model_versions SET value = '' ;

-- a scheduled model (the worker is tested in test/t/); here only its status
SELECT marketiq.create_model('nightly', 'SELECT marketiq._test_accum(k, v) FROM public.reg_events', interval '1 day');
SELECT name, schedule, next_due IS NOT NULL AS has_next_due FROM marketiq.model_status WHERE name = 'nightly';
RESET ROLE;

-- bob sees none of alice's models and cannot act on them
SET ROLE regress_mq_bob;
SELECT count(*) AS visible_models FROM marketiq.model_status;
SELECT count(*) AS visible_versions FROM marketiq.model_versions;
SELECT marketiq.train('events');
SELECT marketiq.deploy('events', 1);
SELECT marketiq.drop_model('events');
SELECT marketiq.model('events', NULL::marketiq._testmodel);
-- a view over a model reads it as the querying role: bob, even granted the view, cannot see the
-- model through it.  Sharing is explicit: alice exposes it through a SECURITY DEFINER function.
RESET ROLE;
GRANT SELECT ON alice_view TO regress_mq_bob;
SET ROLE regress_mq_bob;
SELECT count(*) FROM alice_view;
RESET ROLE;
SET ROLE regress_mq_alice;
CREATE FUNCTION alice_events() RETURNS marketiq._testmodel
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
AS $$ SELECT marketiq.model('events', NULL::marketiq._testmodel) $$;
REVOKE EXECUTE ON FUNCTION alice_events() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION alice_events() TO regress_mq_bob;
CREATE VIEW alice_shared AS SELECT * FROM marketiq._testmodel_entries(alice_events());
GRANT SELECT ON alice_shared TO regress_mq_bob;
RESET ROLE;
SET ROLE regress_mq_bob;
SELECT * FROM alice_shared ORDER BY name;
-- a training query never reads what its owner cannot, whoever calls train()
SELECT marketiq.create_model('peek', 'SELECT marketiq._test_accum(k, v) FROM public.reg_secret');
SELECT marketiq.train('peek');
RESET ROLE;
-- even a superuser's train() runs bob's model as bob
SELECT marketiq.train('peek');
SELECT name, owner, status, error FROM marketiq.job_runs WHERE name = 'peek' ORDER BY id;
-- the superuser sees every model
SELECT name, owner FROM marketiq.models ORDER BY name;

-- a model owned by a role that cannot log in cannot be trained (the worker connects as the owner)
SET ROLE regress_mq_nologin;
SELECT marketiq.create_model('nologin', 'SELECT marketiq._test_accum(k, v) FROM public.reg_events');
SELECT marketiq.train('nologin');
RESET ROLE;

-- drop
SET ROLE regress_mq_alice;
SELECT marketiq.drop_model('fragile');
SELECT count(*) FROM marketiq.job_runs WHERE name = 'fragile';
SELECT name FROM marketiq.models ORDER BY name;
DROP VIEW alice_view, alice_shared;
DROP FUNCTION alice_events();
RESET ROLE;

SELECT marketiq.drop_model(name) FROM marketiq.models;
DROP TABLE reg_events, reg_secret;
REVOKE USAGE ON SCHEMA marketiq FROM regress_mq_alice, regress_mq_bob, regress_mq_nologin;
REVOKE CREATE ON SCHEMA public FROM regress_mq_alice;
DROP ROLE regress_mq_alice, regress_mq_bob, regress_mq_nologin;
