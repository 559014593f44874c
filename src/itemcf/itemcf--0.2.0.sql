-- marketiq itemcf 0.2.0: item-based collaborative filtering.  The item_cf aggregates build a
-- marketiq.itemcf model from baskets (one row per user); readers return similar items, every
-- item's neighbours, recommendations and predicted ratings; recommendations() does it all for
-- every user of an interactions table.

CREATE TYPE marketiq.itemcf;

CREATE FUNCTION marketiq.itemcf_in(cstring) RETURNS marketiq.itemcf
AS 'MODULE_PATHNAME', 'mq_itemcf_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.itemcf_out(marketiq.itemcf) RETURNS cstring
AS 'MODULE_PATHNAME', 'mq_itemcf_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.itemcf_recv(internal) RETURNS marketiq.itemcf
AS 'MODULE_PATHNAME', 'mq_itemcf_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION marketiq.itemcf_send(marketiq.itemcf) RETURNS bytea
AS 'MODULE_PATHNAME', 'mq_itemcf_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE marketiq.itemcf (
    INPUT = marketiq.itemcf_in,
    OUTPUT = marketiq.itemcf_out,
    RECEIVE = marketiq.itemcf_recv,
    SEND = marketiq.itemcf_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE marketiq.itemcf IS
'an item-based collaborative filtering model: per item its users and rating sums, per co-occurring item pair the sufficient statistics over their common users; the similarity measure is chosen when reading';
COMMENT ON FUNCTION marketiq.itemcf_in(cstring) IS 'text input of marketiq.itemcf (JSON)';
COMMENT ON FUNCTION marketiq.itemcf_out(marketiq.itemcf) IS 'text output of marketiq.itemcf (JSON)';
COMMENT ON FUNCTION marketiq.itemcf_recv(internal) IS 'binary input of marketiq.itemcf';
COMMENT ON FUNCTION marketiq.itemcf_send(marketiq.itemcf) IS 'binary output of marketiq.itemcf';

-- ------------------------------------------------------------------ the aggregates

CREATE FUNCTION marketiq._itemcf_trans(marketiq.itemcf, text[])
RETURNS marketiq.itemcf AS 'MODULE_PATHNAME', 'mq_itemcf_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._itemcf_trans(marketiq.itemcf, text[], float8[])
RETURNS marketiq.itemcf AS 'MODULE_PATHNAME', 'mq_itemcf_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._itemcf_combine(marketiq.itemcf, marketiq.itemcf)
RETURNS marketiq.itemcf AS 'MODULE_PATHNAME', 'mq_itemcf_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION marketiq._itemcf_final(marketiq.itemcf)
RETURNS marketiq.itemcf AS 'MODULE_PATHNAME', 'mq_itemcf_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._itemcf_trans(marketiq.itemcf, text[]) IS 'transition function of item_cf (implicit)';
COMMENT ON FUNCTION marketiq._itemcf_trans(marketiq.itemcf, text[], float8[]) IS 'transition function of item_cf (rated)';
COMMENT ON FUNCTION marketiq._itemcf_combine(marketiq.itemcf, marketiq.itemcf) IS 'combine function of item_cf';
COMMENT ON FUNCTION marketiq._itemcf_final(marketiq.itemcf) IS 'final function of item_cf';

CREATE AGGREGATE marketiq.item_cf(items text[]) (
    SFUNC = marketiq._itemcf_trans, STYPE = marketiq.itemcf,
    COMBINEFUNC = marketiq._itemcf_combine, FINALFUNC = marketiq._itemcf_final, PARALLEL = SAFE);
CREATE AGGREGATE marketiq.item_cf(items text[], ratings float8[]) (
    SFUNC = marketiq._itemcf_trans, STYPE = marketiq.itemcf,
    COMBINEFUNC = marketiq._itemcf_combine, FINALFUNC = marketiq._itemcf_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE marketiq.item_cf(text[]) IS
'item-based collaborative filtering model of implicit baskets (one row per user: the items they bought, clicked or viewed; every weight 1)';
COMMENT ON AGGREGATE marketiq.item_cf(text[], float8[]) IS
'item-based collaborative filtering model of rated baskets (one row per user: items and their ratings or weights)';

-- ------------------------------------------------------------------ readers

CREATE FUNCTION marketiq.similar_items(model marketiq.itemcf, item text, k int DEFAULT 10,
    similarity text DEFAULT 'cosine', min_support int DEFAULT 1, shrinkage float8 DEFAULT 0)
RETURNS TABLE (item text, similarity float8, support bigint)
AS 'MODULE_PATHNAME', 'mq_itemcf_similar_items'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION marketiq.similar_items(marketiq.itemcf, text, int, text, int, float8) IS
'the k items most similar to item (positive similarity only; best first, ties by name) with their similarity and support (users who have both): similarity is cosine, jaccard, pearson, adjusted_cosine or msd';

CREATE FUNCTION marketiq.item_similarities(model marketiq.itemcf, k int DEFAULT 20,
    similarity text DEFAULT 'cosine', min_support int DEFAULT 1, shrinkage float8 DEFAULT 0)
RETURNS TABLE (item text, neighbor text, similarity float8, support bigint)
AS 'MODULE_PATHNAME', 'mq_itemcf_item_similarities'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.item_similarities(marketiq.itemcf, int, text, int, float8) IS
'every item''s k nearest neighbours (positive similarity only), items in byte order and neighbours best first: a table to materialise';

CREATE FUNCTION marketiq.recommend(model marketiq.itemcf, items text[], weights float8[] DEFAULT NULL,
    n int DEFAULT 10, k int DEFAULT 20, similarity text DEFAULT 'cosine',
    exclude_seen boolean DEFAULT true, min_support int DEFAULT 1, shrinkage float8 DEFAULT 0)
RETURNS TABLE (item text, score float8)
AS 'MODULE_PATHNAME', 'mq_itemcf_recommend'
LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION marketiq.recommend(marketiq.itemcf, text[], float8[], int, int, text, boolean, int, float8) IS
'top-n items for a user who has items (with weights, default 1): score(i) = sum of w_j sim(j, i) over the user''s items j that have i among their k nearest neighbours (item-kNN); best first, ties by name';

CREATE FUNCTION marketiq.predict_rating(model marketiq.itemcf, items text[], ratings float8[], item text,
    k int DEFAULT 40, similarity text DEFAULT 'msd', min_k int DEFAULT 1, min_support int DEFAULT 1)
RETURNS float8
AS 'MODULE_PATHNAME', 'mq_itemcf_predict_rating'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.predict_rating(marketiq.itemcf, text[], float8[], text, int, text, int, int) IS
'predicted rating of item by a user with the given ratings: the item''s mean plus the similarity-weighted mean deviation of the k most similar rated items from their means (Surprise''s item-based KNNWithMeans); NULL for an unknown item';

CREATE FUNCTION marketiq.summary(model marketiq.itemcf,
    OUT rated boolean, OUT baskets bigint, OUT skipped_baskets bigint, OUT interactions bigint,
    OUT items int, OUT pairs bigint, OUT density float8)
AS 'MODULE_PATHNAME', 'mq_itemcf_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.summary(marketiq.itemcf) IS
'what an itemcf model was built from: rated or implicit, baskets used and skipped (NULL or empty), interactions, items, co-occurring pairs and their share of all possible pairs';

CREATE FUNCTION marketiq.item_stats(model marketiq.itemcf)
RETURNS TABLE (item text, users bigint, share float8, mean_rating float8, neighbors bigint)
AS 'MODULE_PATHNAME', 'mq_itemcf_item_stats'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.item_stats(marketiq.itemcf) IS
'per item: the users (baskets) that have it, their share of all baskets (popularity), its mean rating, and how many items it co-occurs with';

CREATE FUNCTION marketiq._itemcf_decodes()
RETURNS bigint AS 'MODULE_PATHNAME', 'mq_itemcf_decodes'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq._itemcf_decodes() IS
'internal (tests): itemcf models decoded by readers in this backend so far; a reader called once per row decodes its model once per query';

-- ------------------------------------------------------------------ interaction tables

CREATE FUNCTION marketiq.recommendations(
    interactions regclass,
    user_col name,
    item_col name,
    rating_col name DEFAULT NULL,
    n int DEFAULT 10,
    k int DEFAULT 20,
    similarity text DEFAULT 'cosine',
    exclude_seen boolean DEFAULT true,
    min_support int DEFAULT 1,
    shrinkage float8 DEFAULT 0)
RETURNS TABLE (user_id text, item text, score float8, rank int)
AS 'MODULE_PATHNAME', 'mq_itemcf_recommendations'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION marketiq.recommendations(regclass, name, name, name, int, int, text, boolean, int, float8) IS
'top-n item-kNN recommendations for every user of an interactions table (user, item, optional rating or weight), building the model once: the rows recommend() would give each user';
