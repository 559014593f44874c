-- clv_roi: ROI, ROAS and cost per conversion per channel (src/clv/roi.c), by hand:
--   roi = (value - cost) / cost, roas = value / cost, cost_per_conversion = cost / conversions.
SELECT marketiq.roi(150, 100) AS roi, marketiq.roas(150, 100) AS roas,
       marketiq.cost_per_conversion(100, 8) AS cpc, marketiq.roi(value => 50, cost => 100) AS loss;
-- undefined ratios are NULL, not errors: no cost (organic), no conversions
SELECT marketiq.roi(80, 0) IS NULL AS roi_no_cost, marketiq.roas(80, 0) IS NULL AS roas_no_cost,
       marketiq.cost_per_conversion(100, 0) IS NULL AS cpc_no_conversions;

-- per channel from arrays (any attribution model's output can be turned into these); repeated
-- channels add up: search costs 300 + 200 = 500 and earned 1200 -> roi 1.4, roas 2.4, cpc 500/40;
-- social 400 for 300 -> roi -0.25; organic has no cost -> NULL ratios; display has no value
SELECT * FROM marketiq.channel_roi(ARRAY['search', 'social', 'organic', 'search', 'display'],
                                   ARRAY[300, 400, 0, 200, 100]::float8[],
                                   ARRAY[700, 300, 250, 500, 0]::float8[],
                                   ARRAY[25, 10, 9, 15, 0]::float8[]);
-- without conversions: that column and cost per conversion are NULL
SELECT channel, conversions, roi, cost_per_conversion
FROM marketiq.channel_roi(ARRAY['a'], ARRAY[10.0], ARRAY[15.0]);
SELECT count(*) FROM marketiq.channel_roi('{}', '{}', '{}');

-- from relations: weekly spend and the value an attribution model credited to each channel
-- (any model: here plain last-touch credits in a table).  Full outer join by channel.
CREATE TABLE spend (channel text, week date, cost numeric);
INSERT INTO spend VALUES ('search', '2024-01-01', 100), ('search', '2024-01-08', 150),
  ('social', '2024-01-01', 80), ('social', '2024-01-08', 120), ('tv', '2024-01-01', 500),
  (NULL, '2024-01-01', 999);
CREATE TABLE credit (model text, channel_name text, credited float8, conv float8);
INSERT INTO credit VALUES ('last_touch', 'search', 400, 20), ('last_touch', 'search', 100, 5),
  ('last_touch', 'social', 150, 6), ('last_touch', 'email', 90, 9);
-- hand: search cost 250, value 500, 25 conversions -> roi 1, roas 2, cpc 10; social 200, 150, 6
-- -> roi -0.25, roas 0.75, cpc 33.33; tv 500 and nothing credited -> roi -1; email no cost
SELECT channel, cost, value, conversions, profit, round(roi::numeric, 4) AS roi,
       round(roas::numeric, 4) AS roas, round(cost_per_conversion::numeric, 2) AS cpc
FROM marketiq.roi_report('spend', 'credit', credit_channel_col => 'channel_name',
                         value_col => 'credited', conversions_col => 'conv');
-- a view selects one model's credits, or a period
CREATE VIEW credit_jan8 AS SELECT channel_name AS channel, credited AS value FROM credit WHERE credited < 200;
CREATE VIEW spend_jan8 AS SELECT * FROM spend WHERE week = '2024-01-08';
SELECT channel, cost, value, roi FROM marketiq.roi_report('spend_jan8', 'credit_jan8');

-- bad input
SELECT marketiq.roi(100, -5);
SELECT marketiq.roas('NaN', 5);
SELECT marketiq.cost_per_conversion(10, -1);
SELECT * FROM marketiq.channel_roi(ARRAY['a', 'b'], ARRAY[1.0], ARRAY[2.0, 3.0]);
SELECT * FROM marketiq.channel_roi(ARRAY['a', NULL], ARRAY[1.0, 2.0], ARRAY[2.0, 3.0]);
SELECT * FROM marketiq.channel_roi(ARRAY['a'], ARRAY['Infinity'::float8], ARRAY[2.0]);
SELECT * FROM marketiq.channel_roi(ARRAY['a'], ARRAY[-1.0], ARRAY[2.0]);
SELECT * FROM marketiq.channel_roi(ARRAY['a'], ARRAY[1.0], ARRAY[2.0], ARRAY[1.0, 2.0]);
SELECT * FROM marketiq.channel_roi(NULL, ARRAY[1.0], ARRAY[2.0]);
INSERT INTO spend VALUES ('search', '2024-01-15', -20);
SELECT * FROM marketiq.roi_report('spend', 'credit', credit_channel_col => 'channel_name', value_col => 'credited');
DELETE FROM spend WHERE cost < 0;
SELECT * FROM marketiq.roi_report('spend', 'credit', value_col => 'credited');
SELECT * FROM marketiq.roi_report('spend', 'credit', credit_channel_col => 'channel_name', value_col => 'model');
SELECT * FROM marketiq.roi_report('spend', NULL);

DROP VIEW credit_jan8, spend_jan8;
DROP TABLE spend, credit;
