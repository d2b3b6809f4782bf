-- Chart of report `deprecation`: the accounts' own images by month of deprecation,
-- from a year back to the end of the window ahead (at least a year).
-- Parameters as deprecation.sql.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS t, string_split(?::VARCHAR, ',') AS only_accounts,
           ?::VARCHAR AS only_region, greatest(?::INTEGER, 365) AS ahead_days
)
SELECT strftime(s.deprecation_time_ts::TIMESTAMP, '%Y-%m') AS month,
       s.viewer_account_id AS account_id, count(*)::DOUBLE AS images
FROM image_views_as_of((SELECT t FROM args)) s, args a
WHERE (a.only_accounts IS NULL OR list_contains(a.only_accounts, s.viewer_account_id))
  AND (a.only_region IS NULL OR s.region = a.only_region)
  AND s.owner_id = s.viewer_account_id
  AND s.deprecation_time_ts::TIMESTAMP >= a.t::TIMESTAMP - INTERVAL 12 MONTH
  AND s.deprecation_time_ts::TIMESTAMP < a.t::TIMESTAMP + to_days(a.ahead_days)
GROUP BY ALL
ORDER BY month, account_id;
