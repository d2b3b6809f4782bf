-- Report `last-launched`: the accounts' own images never launched or not launched for
-- `older_days`, grouped by account, region and name family (the name cut before its
-- first date or version: `acme-web-2024.01.02-3` is `acme-web`), with the EBS
-- snapshot size of their block device mappings and its monthly storage cost at
-- `rate` dollars per GiB-month. Oldest first: never launched, then by last launch.
-- Parameters: as-of (epoch microseconds), account, region, older_days, rate.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS t, string_split(?::VARCHAR, ',') AS only_accounts,
           ?::VARCHAR AS only_region, ?::INTEGER AS older_days, ?::DOUBLE AS rate
), stale AS (
    SELECT s.viewer_account_id, s.region, s.image_id, s.last_launched_time,
           s.last_launched_time_ts,
           regexp_replace(coalesce(s.name, s.image_id), '[-_. /]v?[0-9].*$', '') AS family,
           coalesce(list_sum(list_transform(
               list_filter(s.block_device_mappings, lambda mapping: mapping.ebs.snapshot_id IS NOT NULL),
               lambda mapping: mapping.ebs.volume_size)), 0) AS snapshot_gib
    FROM image_views_as_of((SELECT t FROM args)) s, args a
    WHERE s.scope = 'owned' AND s.owner_id = s.viewer_account_id
      AND (a.only_accounts IS NULL OR list_contains(a.only_accounts, s.viewer_account_id))
      AND (a.only_region IS NULL OR s.region = a.only_region)
      AND (s.last_launched_time_ts IS NULL
           OR s.last_launched_time_ts::TIMESTAMP < a.t::TIMESTAMP - to_days(a.older_days))
)
SELECT viewer_account_id AS account_id, region, family,
       count(*) AS images,
       count(*) FILTER (WHERE last_launched_time_ts IS NULL) AS never_launched,
       min(last_launched_time) AS oldest_last_launch,
       max(last_launched_time) AS latest_last_launch,
       sum(snapshot_gib)::BIGINT AS snapshot_gib,
       round(sum(snapshot_gib) * any_value(a.rate), 2) AS monthly_cost_usd
FROM stale, args a
GROUP BY viewer_account_id, region, family
ORDER BY bool_or(last_launched_time_ts IS NULL) DESC, min(last_launched_time_ts) NULLS FIRST,
         account_id, region, family;
