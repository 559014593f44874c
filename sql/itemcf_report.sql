-- itemcf_report: marketiq.recommendations() over an interactions table (src/itemcf/itemcf_report.c)
-- gives, for every user, the rows recommend() gives over the model item_cf builds from the same
-- table; NULL rows are skipped, repeat purchases count once, columns are checked.

-- purchases (user, product, quantity) with repeat purchases, a NULL user, a NULL product
CREATE TEMP TABLE purchases (customer bigint, product text, qty int);
INSERT INTO purchases
SELECT c, 'sku' || (1 + (hashint8extended(c * 100 + d, 4) & 255) % (5 + c % 37)), 1 + (c + d) % 3
FROM generate_series(1, 3000) AS c, generate_series(1, 1 + (hashint8extended(c, 5) & 7)::int) AS d;
INSERT INTO purchases VALUES (NULL, 'sku1', 1), (7, NULL, 1), (7, 'sku2', 1), (7, 'sku2', 2);
SELECT count(*) AS rows, count(DISTINCT (customer, product)) AS distinct_pairs FROM purchases;

-- the model and per-user recommend() from baskets of distinct products
CREATE TEMP TABLE baskets AS
SELECT customer, array_agg(DISTINCT product) AS items FROM purchases
WHERE customer IS NOT NULL AND product IS NOT NULL GROUP BY customer;
CREATE TEMP TABLE m AS SELECT marketiq.item_cf(items) AS m FROM baskets;
CREATE TEMP TABLE expected AS
SELECT b.customer::text AS user_id, r.item, r.score, r.rank::int
FROM baskets b, m, LATERAL marketiq.recommend(m.m, b.items, n => 5) WITH ORDINALITY AS r(item, score, rank);
CREATE TEMP TABLE got AS SELECT * FROM marketiq.recommendations('purchases', 'customer', 'product', n => 5);
SELECT count(*) AS rows, count(DISTINCT user_id) AS users,
       count(*) FILTER (WHERE g.item = e.item AND abs(g.score - e.score) < 1e-12) AS same_as_recommend
FROM got g FULL JOIN expected e USING (user_id, rank);
SELECT * FROM got WHERE user_id = '7' ORDER BY rank;

-- with a weight column (quantities summed per customer and product first, in a view) and other
-- knobs; the same as recommend() with those weights
CREATE TEMP VIEW qty AS
SELECT customer, product, sum(qty) AS qty FROM purchases
WHERE customer IS NOT NULL AND product IS NOT NULL GROUP BY 1, 2;
CREATE TEMP TABLE wb AS
SELECT customer, array_agg(product ORDER BY product) AS items, array_agg(qty::float8 ORDER BY product) AS w
FROM qty GROUP BY customer;
CREATE TEMP TABLE wm AS SELECT marketiq.item_cf(items, w) AS m FROM wb;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE g.item = e.item AND abs(g.score - e.score) < 1e-12) AS same_as_recommend
FROM marketiq.recommendations('qty', 'customer', 'product', 'qty', n => 3, k => 10, similarity => 'jaccard',
                              exclude_seen => false, min_support => 2, shrinkage => 5) g
FULL JOIN (SELECT wb.customer::text AS user_id, r.item, r.score, r.rank::int
           FROM wb, wm, LATERAL marketiq.recommend(wm.m, wb.items, wb.w, 3, 10, 'jaccard', false, 2, 5)
                WITH ORDINALITY AS r(item, score, rank)) e USING (user_id, rank);

-- a rating column with a repeated (user, item) is an error, as in item_cf
SELECT count(*) FROM marketiq.recommendations('purchases', 'customer', 'product', 'qty');
-- an empty table gives no rows
SELECT count(*) FROM marketiq.recommendations('purchases', 'customer', 'product') WHERE false;
CREATE TEMP TABLE empty_t (u int, i text);
SELECT count(*) FROM marketiq.recommendations('empty_t', 'u', 'i');
-- bad arguments: a missing column, a rating column that is not a number, NULL arguments,
-- k <= 0, an unknown similarity, NaN ratings
SELECT * FROM marketiq.recommendations('purchases', 'user_id', 'product');
SELECT * FROM marketiq.recommendations('purchases', 'customer', 'product', 'product');
SELECT * FROM marketiq.recommendations('purchases', NULL, 'product');
SELECT * FROM marketiq.recommendations('purchases', 'customer', 'product', k => 0);
SELECT * FROM marketiq.recommendations('purchases', 'customer', 'product', similarity => 'dice');
CREATE TEMP TABLE nan_t AS SELECT * FROM (VALUES (1, 'a', 1.0::float8), (1, 'b', 'NaN')) t(u, i, r);
SELECT * FROM marketiq.recommendations('nan_t', 'u', 'i', 'r');
