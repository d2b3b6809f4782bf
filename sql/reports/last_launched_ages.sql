-- Chart of report `last-launched`: the accounts' own images by time since their last
-- launch. Parameters: as-of (epoch microseconds), account, region.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS t, string_split(?::VARCHAR, ',') AS only_accounts,
           ?::VARCHAR AS only_region
), aged AS (
    SELECT s.viewer_account_id,
           CASE
               WHEN s.last_launched_time_ts IS NULL THEN 0
               ELSE date_diff('day', s.last_launched_time_ts::TIMESTAMP, a.t::TIMESTAMP)
           END AS days,
           s.last_launched_time_ts IS NULL AS never
    FROM image_views_as_of((SELECT t FROM args)) s, args a
    WHERE s.scope = 'owned' AND s.owner_id = s.viewer_account_id
      AND (a.only_accounts IS NULL OR list_contains(a.only_accounts, s.viewer_account_id))
      AND (a.only_region IS NULL OR s.region = a.only_region)
)
SELECT CASE
           WHEN never THEN '1 never'
           WHEN days < 30 THEN '2 < 30 days'
           WHEN days < 90 THEN '3 30-90 days'
           WHEN days < 180 THEN '4 90-180 days'
           WHEN days < 365 THEN '5 180-365 days'
           ELSE '6 > 1 year'
       END AS age, viewer_account_id AS account_id, count(*)::DOUBLE AS images
FROM aged
GROUP BY ALL
ORDER BY age, account_id;
