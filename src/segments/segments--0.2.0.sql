-- segments: k-means customer segmentation and KPI anomaly detection (issue 11).

-- ------------------------------------------------------------ k-means passes

CREATE TYPE marketiq.kmeans_scan;
CREATE FUNCTION marketiq.kmeans_scan_in(cstring) RETURNS marketiq.kmeans_scan
AS 'MODULE_PATHNAME', 'mq_kmeans_scan_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_scan_out(marketiq.kmeans_scan) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_kmeans_scan_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_scan_recv(internal) RETURNS marketiq.kmeans_scan
AS 'MODULE_PATHNAME', 'mq_kmeans_scan_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_scan_send(marketiq.kmeans_scan) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_kmeans_scan_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE marketiq.kmeans_scan (
    INPUT = marketiq.kmeans_scan_in,
    OUTPUT = marketiq.kmeans_scan_out,
    RECEIVE = marketiq.kmeans_scan_recv,
    SEND = marketiq.kmeans_scan_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.kmeans_scan IS
'first pass of marketiq.kmeans: rows, per-feature means and sums of squares, the first k-means++ centre and the silhouette sample (the state of the kmeans_scan aggregate)';

CREATE FUNCTION marketiq.kmeans_scan_trans(marketiq.kmeans_scan, float8[], bigint, int)
RETURNS marketiq.kmeans_scan AS 'MODULE_PATHNAME', 'mq_kmeans_scan_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_scan_combine(marketiq.kmeans_scan, marketiq.kmeans_scan)
RETURNS marketiq.kmeans_scan AS 'MODULE_PATHNAME', 'mq_kmeans_scan_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_scan_final(marketiq.kmeans_scan)
RETURNS marketiq.kmeans_scan AS 'MODULE_PATHNAME', 'mq_kmeans_scan_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.kmeans_scan_trans(marketiq.kmeans_scan, float8[], bigint, int) IS
'transition function of the kmeans_scan aggregate';
COMMENT ON FUNCTION marketiq.kmeans_scan_combine(marketiq.kmeans_scan, marketiq.kmeans_scan) IS
'combine function of the kmeans_scan aggregate';
COMMENT ON FUNCTION marketiq.kmeans_scan_final(marketiq.kmeans_scan) IS
'final function of the kmeans_scan aggregate';

CREATE AGGREGATE marketiq.kmeans_scan(features float8[], seed bigint, sample_size int) (
    SFUNC = marketiq.kmeans_scan_trans,
    STYPE = marketiq.kmeans_scan,
    COMBINEFUNC = marketiq.kmeans_scan_combine,
    FINALFUNC = marketiq.kmeans_scan_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.kmeans_scan(float8[], bigint, int) IS
'first pass of marketiq.kmeans over feature vectors: rows used and skipped, means and sums of squares per feature, the first k-means++ centre and a seeded sample of sample_size rows';

CREATE TYPE marketiq.kmeans_step;
CREATE FUNCTION marketiq.kmeans_step_in(cstring) RETURNS marketiq.kmeans_step
AS 'MODULE_PATHNAME', 'mq_kmeans_step_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_step_out(marketiq.kmeans_step) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_kmeans_step_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_step_recv(internal) RETURNS marketiq.kmeans_step
AS 'MODULE_PATHNAME', 'mq_kmeans_step_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_step_send(marketiq.kmeans_step) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_kmeans_step_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE marketiq.kmeans_step (
    INPUT = marketiq.kmeans_step_in,
    OUTPUT = marketiq.kmeans_step_out,
    RECEIVE = marketiq.kmeans_step_recv,
    SEND = marketiq.kmeans_step_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.kmeans_step IS
'one Lloyd pass of k-means at given centroids: rows, sums and inertia per cluster, the farthest points, and optionally a k-means++ draw (the state of the kmeans_step aggregate, used by marketiq.kmeans)';

CREATE FUNCTION marketiq.kmeans_step_trans(marketiq.kmeans_step, float8[], float8[], float8[], float8[])
RETURNS marketiq.kmeans_step AS 'MODULE_PATHNAME', 'mq_kmeans_step_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_step_trans(marketiq.kmeans_step, float8[], float8[], float8[], float8[], bigint)
RETURNS marketiq.kmeans_step AS 'MODULE_PATHNAME', 'mq_kmeans_step_draw_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_step_combine(marketiq.kmeans_step, marketiq.kmeans_step)
RETURNS marketiq.kmeans_step AS 'MODULE_PATHNAME', 'mq_kmeans_step_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_step_final(marketiq.kmeans_step)
RETURNS marketiq.kmeans_step AS 'MODULE_PATHNAME', 'mq_kmeans_step_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.kmeans_step_trans(marketiq.kmeans_step, float8[], float8[], float8[], float8[]) IS
'transition function of the kmeans_step aggregate (a Lloyd pass)';
COMMENT ON FUNCTION marketiq.kmeans_step_trans(marketiq.kmeans_step, float8[], float8[], float8[], float8[], bigint) IS
'transition function of the kmeans_step aggregate (a Lloyd pass with a k-means++ draw)';
COMMENT ON FUNCTION marketiq.kmeans_step_combine(marketiq.kmeans_step, marketiq.kmeans_step) IS
'combine function of the kmeans_step aggregate';
COMMENT ON FUNCTION marketiq.kmeans_step_final(marketiq.kmeans_step) IS
'final function of the kmeans_step aggregate';

CREATE AGGREGATE marketiq.kmeans_step(features float8[], centroids float8[], center float8[], scale float8[]) (
    SFUNC = marketiq.kmeans_step_trans,
    STYPE = marketiq.kmeans_step,
    COMBINEFUNC = marketiq.kmeans_step_combine,
    FINALFUNC = marketiq.kmeans_step_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.kmeans_step(float8[], float8[], float8[], float8[]) IS
'one Lloyd pass of k-means: each row, standardised as (features - center) / scale, goes to its nearest centroid (a k x d array; ties to the lowest); per cluster the rows, the sum of their standardised features and of their squared distances, and the points farthest from their centroids; the building block of marketiq.kmeans';

CREATE AGGREGATE marketiq.kmeans_step(features float8[], centroids float8[], center float8[], scale float8[], draw_seed bigint) (
    SFUNC = marketiq.kmeans_step_trans,
    STYPE = marketiq.kmeans_step,
    COMBINEFUNC = marketiq.kmeans_step_combine,
    FINALFUNC = marketiq.kmeans_step_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.kmeans_step(float8[], float8[], float8[], float8[], bigint) IS
'a Lloyd pass of k-means that also draws one row with probability proportional to its squared distance to the nearest centroid (the k-means++ draw; draw_seed picks the stream of the seeded generator)';

-- ------------------------------------------------------------ k-means model

CREATE TYPE marketiq.kmeans;
CREATE FUNCTION marketiq.kmeans_in(cstring) RETURNS marketiq.kmeans
AS 'MODULE_PATHNAME', 'mq_kmeans_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_out(marketiq.kmeans) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_kmeans_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_recv(internal) RETURNS marketiq.kmeans
AS 'MODULE_PATHNAME', 'mq_kmeans_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.kmeans_send(marketiq.kmeans) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_kmeans_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE marketiq.kmeans (
    INPUT = marketiq.kmeans_in,
    OUTPUT = marketiq.kmeans_out,
    RECEIVE = marketiq.kmeans_recv,
    SEND = marketiq.kmeans_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.kmeans IS
'a k-means clustering: the standardisation of the features, k centroids, cluster sizes and inertia, and how the fit went';

CREATE FUNCTION marketiq.kmeans(source regclass, features name, k int, max_iter int DEFAULT 100,
    tol float8 DEFAULT 1e-8, seed bigint DEFAULT 42, standardize boolean DEFAULT true,
    init float8[] DEFAULT NULL)
RETURNS marketiq.kmeans AS 'MODULE_PATHNAME', 'mq_kmeans'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION marketiq.kmeans(regclass, name, int, int, float8, bigint, boolean, float8[]) IS
'k-means clustering of the float8[] column features of a table or view into k clusters: standardised features (population sd), seeded k-means++ or given init centroids, Lloyd iterations of one parallel-safe aggregate pass each until no centroid moves more than tol';

CREATE FUNCTION marketiq.kmeans_elbow(source regclass, features name, k_min int, k_max int,
    max_iter int DEFAULT 100, tol float8 DEFAULT 1e-8, seed bigint DEFAULT 42,
    standardize boolean DEFAULT true)
RETURNS TABLE(k int, inertia float8, silhouette float8)
AS 'MODULE_PATHNAME', 'mq_kmeans_elbow'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 10;
COMMENT ON FUNCTION marketiq.kmeans_elbow(regclass, name, int, int, int, float8, bigint, boolean) IS
'k-means for every k from k_min to k_max: total inertia and sample silhouette per k, for choosing k (the elbow of the inertia, the peak of the silhouette)';

CREATE FUNCTION marketiq.centroids(model marketiq.kmeans)
RETURNS TABLE(cluster int, size bigint, centroid float8[], inertia float8)
AS 'MODULE_PATHNAME', 'mq_kmeans_centroids'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION marketiq.centroids(marketiq.kmeans) IS
'the clusters of a k-means model: rows in each, the centroid in original units, and the within-cluster sum of squared distances (standardised units when standardised)';

CREATE FUNCTION marketiq.assign_cluster(model marketiq.kmeans, x float8[])
RETURNS int AS 'MODULE_PATHNAME', 'mq_kmeans_assign'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.assign_cluster(marketiq.kmeans, float8[]) IS
'the cluster (1..k) whose centroid is nearest to the features x, after the model''s standardisation; ties to the lowest cluster; NULL when x has a NULL element';

CREATE FUNCTION marketiq.kmeans_stats(model marketiq.kmeans,
    OUT k int, OUT features int, OUT rows bigint, OUT rows_skipped bigint, OUT iterations int,
    OUT converged boolean, OUT inertia float8, OUT silhouette float8, OUT silhouette_sample int,
    OUT reseeds int, OUT standardize boolean, OUT init text, OUT seed bigint)
AS 'MODULE_PATHNAME', 'mq_kmeans_stats'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.kmeans_stats(marketiq.kmeans) IS
'how a k-means fit went: k, features, rows used and skipped, iterations, converged, total inertia, the mean silhouette of a seeded sample of up to 2,000 rows (and its size), empty clusters re-seeded, standardisation, initialisation and seed';

-- ------------------------------------------------------------ robust statistics

CREATE FUNCTION marketiq._median_final(float8[]) RETURNS float8
AS 'MODULE_PATHNAME', 'mq_median_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._mad_final(float8[]) RETURNS float8
AS 'MODULE_PATHNAME', 'mq_mad_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._robust_madd(internal, float8) RETURNS internal
AS 'MODULE_PATHNAME', 'mq_robust_madd' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._robust_mremove(internal, float8) RETURNS internal
AS 'MODULE_PATHNAME', 'mq_robust_mremove' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._median_mfinal(internal) RETURNS float8
AS 'MODULE_PATHNAME', 'mq_median_mfinal' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._mad_mfinal(internal) RETURNS float8
AS 'MODULE_PATHNAME', 'mq_mad_mfinal' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._median_final(float8[]) IS 'final function of the median aggregate';
COMMENT ON FUNCTION marketiq._mad_final(float8[]) IS 'final function of the mad aggregate';
COMMENT ON FUNCTION marketiq._robust_madd(internal, float8) IS
'moving-aggregate transition of median and mad: a row enters the window frame';
COMMENT ON FUNCTION marketiq._robust_mremove(internal, float8) IS
'moving-aggregate inverse transition of median and mad: a row leaves the window frame';
COMMENT ON FUNCTION marketiq._median_mfinal(internal) IS 'moving-aggregate final function of median';
COMMENT ON FUNCTION marketiq._mad_mfinal(internal) IS 'moving-aggregate final function of mad';

CREATE AGGREGATE marketiq.median(float8) (
    SFUNC = pg_catalog.array_append,
    STYPE = float8[],
    INITCOND = '{}',
    COMBINEFUNC = pg_catalog.array_cat,
    FINALFUNC = marketiq._median_final,
    MSFUNC = marketiq._robust_madd,
    MINVFUNC = marketiq._robust_mremove,
    MSTYPE = internal,
    MFINALFUNC = marketiq._median_mfinal,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.median(float8) IS
'the median of the non-NULL values (the mean of the two middle ones for an even count); as a window aggregate over a moving frame it keeps the frame sorted instead of sorting it per row';

CREATE AGGREGATE marketiq.mad(float8) (
    SFUNC = pg_catalog.array_append,
    STYPE = float8[],
    INITCOND = '{}',
    COMBINEFUNC = pg_catalog.array_cat,
    FINALFUNC = marketiq._mad_final,
    MSFUNC = marketiq._robust_madd,
    MINVFUNC = marketiq._robust_mremove,
    MSTYPE = internal,
    MFINALFUNC = marketiq._mad_mfinal,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE marketiq.mad(float8) IS
'the median absolute deviation from the median of the non-NULL values (raw: multiply by 1.4826 to estimate a normal standard deviation); usable as a window aggregate over a moving frame';

CREATE FUNCTION marketiq.mad_score(history float8[], value float8) RETURNS float8
AS 'MODULE_PATHNAME', 'mq_mad_score'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.mad_score(float8[], float8) IS
'robust z-score of value against history: (value - median) / (1.4826 MAD), falling back to 1.2533 x the mean absolute deviation when the MAD is 0, and 0 or +-Infinity when every history value is the same; NULL for an empty history';

-- ------------------------------------------------------------ anomalies

CREATE FUNCTION marketiq.detect_anomalies(series regclass, ts_col name, value_col name,
    group_col name DEFAULT NULL, method text DEFAULT 'mad', window_size int DEFAULT 28,
    season int DEFAULT NULL, threshold float8 DEFAULT 3.5)
RETURNS TABLE(group_key text, ts timestamptz, value float8, expected float8, lower float8,
              upper float8, score float8, is_anomaly boolean, direction text)
AS 'MODULE_PATHNAME', 'mq_detect_anomalies'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1000;
COMMENT ON FUNCTION marketiq.detect_anomalies(regclass, name, name, name, text, int, int, float8) IS
'KPI anomalies: each row of a time series (per group) scored against the rows before it only -- mad (rolling median and 1.4826 MAD of the last window_size rows), seasonal (the same over the last window_size rows of the same phase, season rows apart) or ewma (exponentially weighted mean and standard deviation, alpha = 2 / (window_size + 1)); anomaly when |score| > threshold';
