-- segments_kmeans: k-means over a relation (marketiq.kmeans, kmeans_elbow, centroids,
-- assign_cluster, kmeans_stats; src/segments/kmeans.c and kmeans_pass.c).
-- Every expected number comes from test/reference/segments_kmeans.py, an independent numpy
-- implementation of the README's algorithm (same standardisation, generator, k-means++ draws,
-- Lloyd iterations and empty-cluster rule), whose Lloyd iterations are in turn checked
-- against scikit-learn's KMeans from the same start (labels equal, centroids to 7e-16); the
-- silhouette is scikit-learn's silhouette_score of the same sample.  Tolerance 1e-9.
SET extra_float_digits = 0;
CREATE SCHEMA seg_km;
SET search_path = seg_km, public;

-- a agrees with b to 1e-9 (relative above 1, absolute below)
CREATE FUNCTION agrees(a float8, b float8) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT a IS NOT NULL AND b IS NOT NULL AND a NOT IN ('NaN', 'Infinity', '-Infinity')
             AND abs(a - b) <= 1e-9 * greatest(1, abs(b)) $$;
-- every element of two arrays agrees
CREATE FUNCTION agrees(a float8[], b float8[]) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT cardinality(a) = cardinality(b)
             AND (SELECT bool_and(agrees(x, y)) FROM unnest(a, b) AS u(x, y)) $$;

-- 600 customers in four groups, three features on very different scales
-- (test/data/segments_kmeans.csv, written by the reference script with a fixed numpy seed)
CREATE TABLE customers (id int PRIMARY KEY, recency float8, frequency float8, monetary float8);
\copy customers FROM 'test/data/segments_kmeans.csv' (FORMAT csv, HEADER)
CREATE TABLE km AS SELECT id, ARRAY[recency, frequency, monetary] AS x FROM customers ORDER BY id;
-- the reference clusters of every point, per case (test/data/segments_kmeans_ref.csv)
CREATE TABLE ref (id int, given int, plusplus int, raw int, reseed int, plusplus_k6_seed7 int);
\copy ref FROM 'test/data/segments_kmeans_ref.csv' (FORMAT csv, HEADER)

-- the models of the reference cases
CREATE TABLE models AS
SELECT 'given' AS name, marketiq.kmeans('km', 'x', 4, init => '{{-1,-1,-1},{1,1,1},{0,0,0},{1,-1,0}}') AS m
UNION ALL
SELECT 'plusplus', marketiq.kmeans('km', 'x', 4)
UNION ALL
SELECT 'raw', marketiq.kmeans('km', 'x', 4, standardize => false,
                              init => '{{20,2,100},{200,1,50},{60,10,800},{300,5,300}}')
UNION ALL
SELECT 'reseed', marketiq.kmeans('km', 'x', 4, init => '{{-1,-1,-1},{1,1,1},{0,0,0},{40,40,40}}')
UNION ALL
SELECT 'plusplus_k6_seed7', marketiq.kmeans('km', 'x', 6, seed => 7);

-- iterations, convergence and re-seeds as in the reference ("== <case>: iterations ...")
SELECT name, s.k, s.features, s.rows, s.rows_skipped, s.iterations, s.converged, s.reseeds,
       s.standardize, s.init, s.seed, s.silhouette_sample
FROM models, marketiq.kmeans_stats(m) s ORDER BY name;

-- every point's cluster equals the reference's (assign_cluster applies the stored standardisation)
SELECT count(*) AS points,
       count(*) FILTER (WHERE marketiq.assign_cluster((SELECT m FROM models WHERE name = 'given'), x) = r.given) AS given,
       count(*) FILTER (WHERE marketiq.assign_cluster((SELECT m FROM models WHERE name = 'plusplus'), x) = r.plusplus) AS plusplus,
       count(*) FILTER (WHERE marketiq.assign_cluster((SELECT m FROM models WHERE name = 'raw'), x) = r.raw) AS raw,
       count(*) FILTER (WHERE marketiq.assign_cluster((SELECT m FROM models WHERE name = 'reseed'), x) = r.reseed) AS reseed,
       count(*) FILTER (WHERE marketiq.assign_cluster((SELECT m FROM models WHERE name = 'plusplus_k6_seed7'), x) = r.plusplus_k6_seed7) AS k6
FROM km JOIN ref r USING (id);

-- centroids (original units), sizes and inertia, against the reference ("centroids (original
-- units)", "sizes", "inertia" of each case)
CREATE TABLE ref_centroids (name text, cluster int, size bigint, centroid float8[], inertia float8);
INSERT INTO ref_centroids VALUES
 ('given', 1, 212, ARRAY[25.48678254716981, 2.0425995283018845, 76.89245613207555], 18.55445364638158),
 ('given', 2, 95, ARRAY[55.21198947368425, 13.797381052631582, 911.7539821052629], 42.28901976505074),
 ('given', 3, 55, ARRAY[56.43055272727274, 9.388620000000001, 898.5130127272726], 24.35685677151617),
 ('given', 4, 238, ARRAY[242.23929705882347, 2.9764151260504192, 144.67335882352947], 177.61164260132668),
 ('plusplus', 1, 202, ARRAY[20.60546534653463, 2.0947965346534634, 78.78738019801986], 9.193816689184395),
 ('plusplus', 2, 150, ARRAY[55.658795999999995, 12.180835333333334, 906.8989599999999], 96.567144967426),
 ('plusplus', 3, 100, ARRAY[299.21414500000003, 5.755485, 288.437656], 29.810030049791152),
 ('plusplus', 4, 148, ARRAY[195.75967635135135, 0.9643277027027017, 40.36921418918922], 20.1042474516814),
 ('raw', 1, 202, ARRAY[20.348997029702957, 2.141477722772276, 79.90247574257428], 192560.8530466791),
 ('raw', 2, 153, ARRAY[197.644091503268, 1.1223281045751627, 41.99071503267975], 314670.93980594364),
 ('raw', 3, 148, ARRAY[55.626695270270275, 12.183269594594591, 914.246839864865], 4769182.457581932),
 ('raw', 4, 97, ARRAY[297.1358319587627, 5.78478969072165, 297.88548762886603], 777225.2445600054),
 ('reseed', 1, 212, ARRAY[25.48678254716981, 2.0425995283018845, 76.89245613207555], 18.55445364638158),
 ('reseed', 2, 78, ARRAY[57.349226923076934, 10.29934358974359, 846.7482794871795], 36.94155253203596),
 ('reseed', 3, 238, ARRAY[242.23929705882347, 2.9764151260504192, 144.67335882352947], 177.61164260132668),
 ('reseed', 4, 72, ARRAY[53.827495833333344, 14.219118055555557, 972.0621972222223], 29.866254066509075),
 ('plusplus_k6_seed7', 1, 201, ARRAY[20.178833830845747, 2.098048258706466, 78.98019054726373], 8.53832121751979),
 ('plusplus_k6_seed7', 2, 67, ARRAY[236.97932537313432, 1.0517134328358213, 56.42902835820891], 5.862870768040909),
 ('plusplus_k6_seed7', 3, 72, ARRAY[53.827495833333344, 14.219118055555557, 972.0621972222223], 29.866254066509075),
 ('plusplus_k6_seed7', 4, 78, ARRAY[57.349226923076934, 10.29934358974359, 846.7482794871795], 36.94155253203596),
 ('plusplus_k6_seed7', 5, 95, ARRAY[300.08930000000004, 5.945403157894737, 291.1663905263158], 25.828435904679985),
 ('plusplus_k6_seed7', 6, 87, ARRAY[167.97823793103447, 0.970483908045976, 39.27459540229887], 5.110563673618047);
SELECT mo.name, count(*) AS clusters, bool_and(c.size = r.size) AS sizes_equal,
       bool_and(agrees(c.centroid, r.centroid)) AS centroids_agree,
       bool_and(agrees(c.inertia, r.inertia)) AS inertia_agrees
FROM models mo, marketiq.centroids(mo.m) c JOIN ref_centroids r USING (cluster)
WHERE r.name = mo.name
GROUP BY mo.name ORDER BY mo.name;
-- the same centroids rounded, for reading (k-means++, seed 42)
SELECT cluster, size, round(centroid[1]::numeric, 2) AS recency, round(centroid[2]::numeric, 2) AS frequency,
       round(centroid[3]::numeric, 2) AS monetary, round(inertia::numeric, 4) AS inertia
FROM models, marketiq.centroids(m) WHERE name = 'plusplus' ORDER BY cluster;

-- total inertia and the silhouette of the sample (here every row: 600 < 2,000), from the
-- reference ("total", "silhouette")
SELECT mo.name, agrees(s.inertia, r.inertia) AS inertia_agrees, agrees(s.silhouette, r.silhouette) AS silhouette_agrees,
       round(s.silhouette::numeric, 4) AS silhouette
FROM models mo CROSS JOIN LATERAL marketiq.kmeans_stats(mo.m) s
JOIN (VALUES ('given', 262.81197278427516, 0.5530599377336578),
             ('plusplus', 155.67523915808295, 0.7061722707515821),
             ('raw', 6053639.494994559, 0.7098241968656399),
             ('reseed', 262.97390284625334, 0.5492862576113605),
             ('plusplus_k6_seed7', 112.14799816240377, 0.5479862451002246)) AS r(name, inertia, silhouette)
ON r.name = mo.name ORDER BY mo.name;

-- the model keeps the standardisation (population sd, as numpy's std) and the k-means++
-- start can be read back: centroids in z units equal the reference's ("start (z units)" is
-- the start; here the mean and sd of the features, numpy X.mean(0), X.std(0))
SELECT agrees(ARRAY(SELECT jsonb_array_elements_text(m::text::jsonb -> 'mean')::float8),
              ARRAY(SELECT avg(v) FROM customers, unnest(ARRAY[recency, frequency, monetary]) WITH ORDINALITY u(v, j) GROUP BY j ORDER BY j)) AS mean_ok,
       agrees(ARRAY(SELECT jsonb_array_elements_text(m::text::jsonb -> 'sd')::float8),
              ARRAY(SELECT stddev_pop(v) FROM customers, unnest(ARRAY[recency, frequency, monetary]) WITH ORDINALITY u(v, j) GROUP BY j ORDER BY j)) AS sd_ok
FROM models WHERE name = 'plusplus';

-- a seed reproduces itself run to run; another seed starts elsewhere
SELECT marketiq.kmeans('km', 'x', 4)::text = m::text AS same_model_again,
       marketiq.kmeans('km', 'x', 4, seed => 43)::text <> m::text AS other_seed_differs
FROM models WHERE name = 'plusplus';

-- more rows than the 2,000-row silhouette sample: 5,000 points from an integer formula (the
-- reference builds the same doubles); k-means++ with seed 7 (reference "== grid 5000")
CREATE TABLE grid AS
SELECT i, ARRAY[(i % 3) * 30 + ((i * 7919) % 101)::float8 / 10,
                (i % 3) * 10 + ((i * 104729) % 97)::float8 / 10] AS x
FROM generate_series(1, 5000) AS i;
SELECT s.iterations, s.silhouette_sample, agrees(s.inertia, 594.9012384258887) AS inertia_agrees,
       agrees(s.silhouette, 0.7402250194391277) AS silhouette_agrees,
       (SELECT array_agg(size ORDER BY cluster) FROM marketiq.centroids(g.m)) AS sizes,
       (SELECT bool_and(agrees(c.centroid, r.centroid))
        FROM marketiq.centroids(g.m) c
        JOIN (VALUES (1, ARRAY[35.00107978404319, 14.797960407918417]),
                     (2, ARRAY[64.99928014397116, 24.81103779244151]),
                     (3, ARRAY[4.99981992797132, 4.787755102040819])) AS r(cluster, centroid) USING (cluster)) AS centroids_agree
FROM (SELECT marketiq.kmeans('grid', 'x', 3, seed => 7) AS m) g, marketiq.kmeans_stats(g.m) s;

-- choosing k: the elbow table runs k-means++ for each k (k = 4 is the 'plusplus' model);
-- reference "elbow k = ..." lines
SELECT e.k, round(e.inertia::numeric, 4) AS inertia, round(e.silhouette::numeric, 4) AS silhouette,
       agrees(e.inertia, r.inertia) AND (agrees(e.silhouette, r.silhouette) OR (e.silhouette IS NULL AND r.silhouette IS NULL)) AS agrees
FROM marketiq.kmeans_elbow('km', 'x', 1, 6) e
JOIN (VALUES (1, 1799.9999999999993, NULL), (2, 746.3842749623271, 0.5996623489106959),
             (3, 292.7332412151343, 0.6497579300962991), (4, 155.67523915808295, 0.7061722707515821),
             (5, 144.5773707567023, 0.6539894730029878), (6, 140.53566444185867, 0.6351603316470195))
     AS r(k, inertia, silhouette) USING (k) ORDER BY k;
SELECT agrees(e.inertia, s.inertia) AND agrees(e.silhouette, s.silhouette) AS elbow_k4_is_the_model
FROM marketiq.kmeans_elbow('km', 'x', 4, 4) e, models, marketiq.kmeans_stats(m) s WHERE name = 'plusplus';

-- k = 1: one centroid at the mean, inertia n x d (standardised), no silhouette
SELECT s.iterations, s.converged, s.inertia, s.silhouette IS NULL AS no_silhouette,
       (SELECT agrees(c.centroid, ARRAY(SELECT jsonb_array_elements_text(m::text::jsonb -> 'mean')::float8))
        FROM marketiq.centroids(m) c) AS centroid_is_mean
FROM (SELECT marketiq.kmeans('km', 'x', 1) AS m) o, marketiq.kmeans_stats(m) s;

-- the model value round-trips through its text form, and jsonb can look inside
SELECT m::text::marketiq.kmeans::text = m::text AS text_round_trip,
       m::text::jsonb ->> 'init' AS init, m::text::jsonb -> 'size' AS size
FROM models WHERE name = 'plusplus';

-- assign_cluster: ties go to the lowest cluster; NULL elements give NULL; the model is cached
-- per call site, and a different model in the next row is read afresh
SELECT marketiq.assign_cluster(marketiq.kmeans('km', 'x', 2, standardize => false, max_iter => 1,
                                               init => '{{0,0,0},{2,0,0}}'), ARRAY[1, 0, 0]) AS tie,
       marketiq.assign_cluster(m, ARRAY[1, NULL, 3]) AS null_element
FROM models WHERE name = 'plusplus';
SELECT name, count(DISTINCT marketiq.assign_cluster(m, x)) AS clusters_used
FROM models, km GROUP BY name ORDER BY name;

-- a view supplies computed features; NULL arrays and arrays with a NULL element are skipped
-- and counted
CREATE VIEW km_view AS
SELECT id, CASE WHEN id % 50 = 0 THEN NULL
                WHEN id % 50 = 1 THEN ARRAY[recency, NULL, monetary]
                ELSE ARRAY[sqrt(abs(recency)), frequency, ln(abs(monetary) + 1)] END AS features
FROM customers;
SELECT s.rows, s.rows_skipped, s.converged
FROM marketiq.kmeans_stats(marketiq.kmeans('km_view', 'features', 4)) s;

-- a constant feature is centred but not scaled (as scikit-learn's StandardScaler), with a
-- warning; it plays no part: from the same start, the clusters equal those without it
CREATE TABLE km_const AS SELECT id, x || 7.0::float8 AS x FROM km;
CREATE TABLE const_model AS
SELECT marketiq.kmeans('km_const', 'x', 4, init => '{{-1,-1,-1,0},{1,1,1,0},{0,0,0,0},{1,-1,0,0}}') AS m;
SELECT count(*) FILTER (WHERE marketiq.assign_cluster(a.m, k.x || 7.0::float8) = marketiq.assign_cluster(b.m, k.x)) AS same_cluster
FROM km k, const_model a, models b WHERE b.name = 'given';
SELECT agrees(s1.inertia, s2.inertia) AS same_inertia, s1.iterations = s2.iterations AS same_iterations
FROM const_model a, models b, marketiq.kmeans_stats(a.m) s1, marketiq.kmeans_stats(b.m) s2 WHERE b.name = 'given';

-- progress: one NOTICE per pass when marketiq.progress is on
SET marketiq.progress = on;
SELECT (marketiq.kmeans_stats(marketiq.kmeans('km', 'x', 3, max_iter => 2))).iterations;
RESET marketiq.progress;

-- the driver runs with the caller's privileges
CREATE ROLE regress_seg_reader;
GRANT USAGE ON SCHEMA seg_km, marketiq TO regress_seg_reader;
SET ROLE regress_seg_reader;
SELECT marketiq.kmeans('seg_km.km', 'x', 2);
RESET ROLE;
GRANT SELECT ON km TO regress_seg_reader;
SET ROLE regress_seg_reader;
SELECT (marketiq.kmeans_stats(marketiq.kmeans('seg_km.km', 'x', 2))).rows;
RESET ROLE;
REVOKE ALL ON km FROM regress_seg_reader;
REVOKE USAGE ON SCHEMA seg_km, marketiq FROM regress_seg_reader;

-- ------------------------------------------------------------------ edge cases, bad input
-- an empty source has no model (and no elbow rows)
CREATE TABLE nothing (x float8[]);
SELECT marketiq.kmeans('nothing', 'x', 2) IS NULL AS no_model;
SELECT count(*) FROM marketiq.kmeans_elbow('nothing', 'x', 1, 3);
-- k beyond the rows, or beyond the distinct points (k-means++ cannot place the centres)
CREATE TABLE few AS SELECT ARRAY[v, 1]::float8[] AS x FROM (VALUES (1), (1), (2), (2), (2)) AS t(v);
SELECT marketiq.kmeans('few', 'x', 6);
SELECT marketiq.kmeans('few', 'x', 3);
SELECT (marketiq.kmeans_stats(marketiq.kmeans('few', 'x', 2))).inertia;
-- a given start with duplicate centroids: the empty cluster is re-seeded with the farthest point
-- (by hand: pass 1 puts all five points in cluster 1 (ties to the lowest), cluster 2 takes the
-- farthest point (2,1), cluster 1 becomes the mean of the other four, (1.5,1); pass 2 splits
-- {(1,1) x 2} from {(2,1) x 3}; pass 3 moves nothing)
CREATE TABLE few_model AS
SELECT marketiq.kmeans('few', 'x', 2, standardize => false, init => '{{1,1},{1,1}}') AS m;
SELECT (SELECT array_agg(size ORDER BY cluster) FROM marketiq.centroids(m)) AS sizes,
       (SELECT array_agg(centroid ORDER BY cluster) FROM marketiq.centroids(m)) AS centroids,
       s.reseeds, s.iterations, s.inertia
FROM few_model, marketiq.kmeans_stats(m) s;
-- NaN, infinity, ragged arrays, multi-dimensional arrays, empty arrays
CREATE TABLE bad (id int, x float8[]);
INSERT INTO bad VALUES (1, '{1,2}'), (2, '{3,4}'), (3, '{5,NaN}');
SELECT marketiq.kmeans('bad', 'x', 2);
UPDATE bad SET x = '{5,Infinity}' WHERE id = 3;
SELECT marketiq.kmeans('bad', 'x', 2);
UPDATE bad SET x = '{5,6,7}' WHERE id = 3;
SELECT marketiq.kmeans('bad', 'x', 2);
UPDATE bad SET x = '{{5,6}}' WHERE id = 3;
SELECT marketiq.kmeans('bad', 'x', 2);
UPDATE bad SET x = '{}' WHERE id = 3;
SELECT marketiq.kmeans('bad', 'x', 2);
-- arguments
SELECT marketiq.kmeans('km', 'x', 0);
SELECT marketiq.kmeans('km', 'x', NULL);
SELECT marketiq.kmeans('km', 'x', 2, max_iter => 0);
SELECT marketiq.kmeans('km', 'x', 2, tol => -1);
SELECT marketiq.kmeans('km', 'x', 2, tol => 'NaN');
SELECT marketiq.kmeans('km', 'x', 2, init => '{1,2,3}');
SELECT marketiq.kmeans('km', 'x', 2, init => '{{1,2,3}}');
SELECT marketiq.kmeans('km', 'x', 2, init => '{{1,2},{3,4}}');
SELECT marketiq.kmeans('km', 'x', 2, init => '{{1,2,NULL},{3,4,5}}');
SELECT marketiq.kmeans('km', 'x', 2, init => '{{1,2,NaN},{3,4,5}}');
SELECT marketiq.kmeans('km', 'nope', 2);
SELECT marketiq.kmeans('customers', 'recency', 2);
SELECT marketiq.kmeans('no_such_table', 'x', 2);
SELECT marketiq.kmeans_elbow('km', 'x', 3, 2);
SELECT marketiq.kmeans_elbow('km', 'x', 0, 2);
SELECT * FROM marketiq.kmeans_elbow('few', 'x', 1, 9);
SELECT marketiq.assign_cluster(m, ARRAY[1, 2]) FROM models WHERE name = 'plusplus';
SELECT marketiq.assign_cluster(m, ARRAY[1, 2, 'NaN'::float8]) FROM models WHERE name = 'plusplus';
SELECT marketiq.assign_cluster(m, '{}') FROM models WHERE name = 'plusplus';
-- malformed model text
SELECT '{"kind":"kmeans","format":1,"k":2,"d":1,"features":"x","standardize":1,"init":"given","seed":42,"max_iter":10,"tol":0,"n":5,"rows_skipped":0,"iterations":1,"converged":1,"reseeds":0,"mean":[0],"sd":[1],"centroids":[0,1],"size":[2,2],"inertia":[0,0],"silhouette":"NaN","silhouette_sample":5}'::marketiq.kmeans;
SELECT '{"kind":"kmeans","format":1,"k":2,"d":1,"features":"x","standardize":1,"init":"random","seed":42,"max_iter":10,"tol":0,"n":5,"rows_skipped":0,"iterations":1,"converged":1,"reseeds":0,"mean":[0],"sd":[1],"centroids":[0,1],"size":[2,3],"inertia":[0,0],"silhouette":"NaN","silhouette_sample":5}'::marketiq.kmeans;
SELECT '{"kind":"kmeans","format":1,"k":2,"d":1,"features":"x","standardize":1,"init":"given","seed":42,"max_iter":10,"tol":0,"n":5,"rows_skipped":0,"iterations":1,"converged":1,"reseeds":0,"mean":[0],"sd":[1],"centroids":[0,1,2],"size":[2,3],"inertia":[0,0],"silhouette":"NaN","silhouette_sample":5}'::marketiq.kmeans;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA seg_km CASCADE;
DROP ROLE regress_seg_reader;
RESET client_min_messages;
