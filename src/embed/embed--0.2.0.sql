-- marketiq embeddings 0.2.0: text embedded into real[] vectors, by the builtin hashing embedder
-- (offline, deterministic) or any OpenAI-compatible service, and embedding columns that the
-- background worker keeps in sync with their text.

-- ------------------------------------------------------------------ embedding one text

CREATE FUNCTION marketiq.embed(input text, provider text DEFAULT 'builtin', dims int DEFAULT NULL)
RETURNS real[] AS 'MODULE_PATHNAME', 'mq_embed'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.embed(text, text, int) IS
'the embedding of a text as a real[] vector: provider ''builtin'' (offline feature hashing, dims NULL = 256, deterministic) or ''openai'' (the OpenAI-compatible service configured by marketiq.openai_base_url, dims NULL = the model''s own size); NULL for NULL, empty or featureless text';

CREATE FUNCTION marketiq.embedding_features(input text, dims int DEFAULT 256)
RETURNS TABLE (kind text, feature text, hash bigint, bucket int, sign int, count int, weight float8)
AS 'MODULE_PATHNAME', 'mq_embedding_features'
LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION marketiq.embedding_features(text, int) IS
'the features the builtin embedder extracts from a text (words, word bigrams, character 3-5-grams, CJK characters and bigrams), each with its 64-bit hash, bucket (1-based) and sign at dims dimensions, count and weight 1 + ln(count), in order of first appearance';

CREATE FUNCTION marketiq.cosine_similarity(a real[], b real[])
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_cosine_similarity_float4'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.cosine_similarity(real[], real[]) IS
'cosine of the angle between two vectors of the same dimension (1: same direction, 0: unrelated, -1: opposite); NULL if either is all zeros';

CREATE FUNCTION marketiq.cosine_similarity(a float8[], b float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_cosine_similarity_float8'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.cosine_similarity(float8[], float8[]) IS
'cosine of the angle between two vectors of the same dimension (1: same direction, 0: unrelated, -1: opposite); NULL if either is all zeros';
