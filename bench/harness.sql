-- harness.sql: timing helpers for the benchmarks (loaded by bench/run.sh).
--
-- bench_measure(name, query, runs) runs a query `runs` times and records the best wall-clock
-- time; bench_target(name, floor, max_ratio) states the target "name takes at most max_ratio
-- times floor".  bench_report lists every measurement next to its floor, as a ratio measured
-- in the same run, which is what the README and the issues quote.
CREATE TABLE IF NOT EXISTS bench_results (
    name text PRIMARY KEY,
    seconds float8 NOT NULL,
    runs int NOT NULL,
    measured_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS bench_targets (
    name text PRIMARY KEY,
    floor text NOT NULL,
    max_ratio float8           -- NULL: reported, no target
);

CREATE OR REPLACE FUNCTION bench_measure(name text, query text, runs int DEFAULT 3)
RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    best float8 := 'Infinity';
BEGIN
    FOR i IN 1..runs LOOP
        t0 := clock_timestamp();
        EXECUTE query;
        best := least(best, extract(epoch FROM clock_timestamp() - t0)::float8);
    END LOOP;
    INSERT INTO bench_results AS r VALUES (name, best, runs)
    ON CONFLICT ON CONSTRAINT bench_results_pkey
    DO UPDATE SET seconds = excluded.seconds, runs = excluded.runs, measured_at = now();
    RAISE NOTICE 'bench % : % s (best of %)', name, round(best::numeric, 3), runs;
    RETURN best;
END $$;

CREATE OR REPLACE FUNCTION bench_target(name text, floor text, max_ratio float8 DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO bench_targets VALUES (name, floor, max_ratio)
    ON CONFLICT (name) DO UPDATE SET floor = excluded.floor, max_ratio = excluded.max_ratio
$$;

CREATE OR REPLACE VIEW bench_report AS
SELECT t.name AS benchmark,
       round(r.seconds::numeric, 3) AS seconds,
       t.floor,
       round(f.seconds::numeric, 3) AS floor_seconds,
       round((r.seconds / nullif(f.seconds, 0))::numeric, 2) AS ratio,
       t.max_ratio AS target,
       CASE WHEN t.max_ratio IS NULL THEN ''
            WHEN r.seconds / nullif(f.seconds, 0) <= t.max_ratio THEN 'met'
            ELSE 'MISSED' END AS verdict
FROM bench_targets t
JOIN bench_results r ON r.name = t.name
JOIN bench_results f ON f.name = t.floor
ORDER BY t.name;
