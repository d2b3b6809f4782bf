-- Report `deprecation`: what is deprecated, what soon will be, what is still launched
-- after its deprecation, and what accounts were shared that the owner deprecated.
-- Parameters: as-of (epoch microseconds), account (NULL: all), region (NULL: all),
-- window in days. One row per finding and image.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS t, string_split(?::VARCHAR, ',') AS only_accounts,
           ?::VARCHAR AS only_region, ?::INTEGER AS within_days
), seen AS (
    SELECT s.* FROM image_views_as_of((SELECT t FROM args)) s, args a
    WHERE (a.only_accounts IS NULL OR list_contains(a.only_accounts, s.viewer_account_id))
      AND (a.only_region IS NULL OR s.region = a.only_region)
), findings AS (
    SELECT 1 AS rank, 'deprecated' AS finding, s.*
    FROM seen s, args a
    WHERE s.owner_id = s.viewer_account_id AND s.deprecation_time_ts <= a.t
    UNION ALL
    SELECT 2, 'deprecated within ' || a.within_days || ' days', s.*
    FROM seen s, args a
    WHERE s.owner_id = s.viewer_account_id AND s.deprecation_time_ts > a.t
      AND s.deprecation_time_ts::TIMESTAMP <= a.t::TIMESTAMP + to_days(a.within_days)
    UNION ALL
    SELECT 3, 'launched after its deprecation', s.*
    FROM seen s
    WHERE s.last_launched_time_ts > s.deprecation_time_ts
    UNION ALL
    SELECT 4, 'shared with the account, deprecated by its owner', s.*
    FROM seen s, args a
    WHERE s.scope = 'shared' AND s.owner_id <> s.viewer_account_id
      AND s.deprecation_time_ts <= a.t
)
SELECT DISTINCT ON (rank, viewer_account_id, region, image_id)
       finding, viewer_account_id AS account_id, region, image_id, name, owner_id,
       deprecation_time, last_launched_time, state
FROM findings
ORDER BY rank, viewer_account_id, region, image_id;
