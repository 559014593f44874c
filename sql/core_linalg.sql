-- core_linalg: the BLAS/LAPACK wrappers of src/core/linalg.c, through internal test functions.
-- Every expected number is worked out by hand in the comment above it (and was also checked
-- with numpy 1.24: np.linalg.solve / inv / lstsq / pinv / eigvalsh / cond).

-- rounds the elements of an array to 12 decimals so results are stable across platforms
CREATE OR REPLACE FUNCTION r12(float8[]) RETURNS numeric[] LANGUAGE sql IMMUTABLE AS
$$ SELECT array_agg(round(v::numeric, 12) ORDER BY o) FROM unnest($1) WITH ORDINALITY AS u(v, o) $$;

-- x'x of x = [[1,2,3],[4,5,6],[7,8,10],[1,0,1],[2,1,0]]: e.g. (1,1) = 1+16+49+1+4 = 71,
-- (1,2) = 2+20+56+0+2 = 80, (3,3) = 9+36+100+1+0 = 146.  The block size (rows per dsyrk call)
-- must not change the result: 1 row, 2 rows (a partial last block), 7 rows (one partial block).
SELECT marketiq._gram('{{1,2,3},{4,5,6},{7,8,10},{1,0,1},{2,1,0}}', b) AS xtx, b AS block
FROM unnest('{1,2,7}'::int[]) AS b;

-- Cholesky solve: a = [[4,2,2],[2,5,3],[2,3,6]], b = [2,1,3]; x = [3/8, -1/4, 1/2]
-- (check: 4*.375 - 2*.25 + 2*.5 = 2; 2*.375 - 5*.25 + 3*.5 = 1; 2*.375 - 3*.25 + 6*.5 = 3)
SELECT r12(marketiq._cholesky_solve('{{4,2,2},{2,5,3},{2,3,6}}', '{2,1,3}'));

-- inverse of the same matrix: adj(a)/det(a) with det = 64: [[21,-6,-4],[-6,20,-8],[-4,-8,16]]/64
SELECT r12(array(SELECT 64 * v FROM unnest(marketiq._spd_inverse('{{4,2,2},{2,5,3},{2,3,6}}')) AS v)) AS inverse_times_64;

-- general LU solve: [[0,2,1],[1,1,1],[3,0,-1]] x = [5,4,2] has x = [1,2,1] (the zero pivot forces a row swap)
SELECT r12(marketiq._solve('{{0,2,1},{1,1,1},{3,0,-1}}', '{5,4,2}'));

-- eigenvalues of [[2,1],[1,2]]: 1 and 3 (ascending)
SELECT r12(marketiq._eigenvalues('{{2,1},{1,2}}'));

-- condition number: diag(1, 100) -> 100; a singular matrix -> Infinity
SELECT marketiq._condition('{{1,0},{0,100}}') AS diag, marketiq._condition('{{1,1},{1,1}}') AS singular;

-- least squares line through (0,1), (1,3), (2,5.1), (3,6.9): slope = 9.9/5 = 1.98,
-- intercept = 4 - 1.98*1.5 = 1.03
SELECT r12(coef) AS coef, rank FROM marketiq._lstsq('{{1,0},{1,1},{1,2},{1,3}}', '{1,3,5.1,6.9}');

-- rank-deficient design (third column = 2 x second): rank 2 and the minimum-norm solution,
-- which splits the slope 1.98 as b1 + 2 b2 with b1 = 1.98/5 = 0.396, b2 = 0.792
SELECT r12(coef) AS coef, rank FROM marketiq._lstsq('{{1,0,0},{1,1,2},{1,2,4},{1,3,6}}', '{1,3,5.1,6.9}');

-- bad input: clear errors, never a crash
SELECT marketiq._cholesky_solve('{{1,2},{2,1}}', '{1,1}');            -- not positive definite
SELECT marketiq._solve('{{1,2},{2,4}}', '{1,1}');                     -- singular
SELECT marketiq._solve('{{1,2,3},{4,5,6}}', '{1,1}');                 -- not square
SELECT marketiq._solve('{{1,2},{3,4}}', '{1,1,1}');                   -- lengths differ
SELECT marketiq._solve('{1,2,3,4}', '{1,1}');                         -- not 2-D
SELECT marketiq._solve('{{1,NULL},{3,4}}', '{1,1}');                  -- NULL element
SELECT marketiq._solve('{{1,2},{3,4}}', '{1,NULL}');                  -- NULL element
SELECT marketiq._solve('{{1,NaN},{3,4}}', '{1,1}');                   -- NaN
SELECT marketiq._solve('{{1,2},{3,4}}', '{1,Infinity}');              -- infinity
SELECT marketiq._solve('{{1,2},{3,4}}', '{}');                        -- empty
SELECT marketiq._gram('{{1,2},{3,4}}', 0);                            -- block out of range
SELECT marketiq._lstsq('{{1,0},{1,1}}', '{1,2,3}');                   -- lengths differ
-- a dimension past the dense limit (10000) is refused before any allocation
SELECT marketiq._gram(array_fill(0::float8, ARRAY[1, 10001]), 1);
