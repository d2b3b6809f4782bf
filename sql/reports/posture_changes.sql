-- Report `posture`, changes: every change of an account's image guardrails in a region
-- between `since` and the instant (with no `--since`, since the first record), each with
-- the state before and after.
-- Parameters: since (epoch microseconds), as-of (epoch microseconds), account, region.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS since,
           make_timestamp(?::BIGINT)::TIMESTAMPTZ AS t,
           string_split(?::VARCHAR, ',') AS only_accounts, ?::VARCHAR AS only_region
), versions AS (
    SELECT h.account_id, h.region, h.valid_from,
           h.allowed_images_state, h.image_block_public_access_state,
           h.allowed_images_criteria::VARCHAR AS criteria,
           lag(h.allowed_images_state) OVER w AS allowed_images_before,
           lag(h.image_block_public_access_state) OVER w AS block_public_access_before,
           lag(h.allowed_images_criteria::VARCHAR) OVER w AS criteria_before,
           row_number() OVER w AS n
    FROM account_settings_history h
    WINDOW w AS (PARTITION BY h.account_id, h.region ORDER BY h.valid_from)
)
SELECT v.account_id, v.region,
       strftime(v.valid_from::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ') AS changed_at,
       v.allowed_images_before, v.allowed_images_state AS allowed_images_after,
       v.block_public_access_before,
       v.image_block_public_access_state AS block_public_access_after,
       v.criteria IS DISTINCT FROM v.criteria_before AS criteria_changed
FROM versions v, args a
WHERE v.n > 1 AND v.valid_from > a.since AND v.valid_from <= a.t
  AND (a.only_accounts IS NULL OR list_contains(a.only_accounts, v.account_id))
  AND (a.only_region IS NULL OR v.region = a.only_region)
ORDER BY v.valid_from, v.account_id, v.region;
