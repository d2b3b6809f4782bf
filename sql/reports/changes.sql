-- Report `changes`: images added, gone and changed between two instants, field by
-- field for the changed ones. Parameters: since, until (epoch microseconds), account,
-- region. An image counts once per region; with an account, as that account saw it.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS since,
           make_timestamp(?::BIGINT)::TIMESTAMPTZ AS until,
           string_split(?::VARCHAR, ',') AS only_accounts, ?::VARCHAR AS only_region
), candidates AS (
    -- Only images a version or sighting of which began or ended in between can differ.
    SELECT DISTINCT v.region, v.image_id FROM image_versions v, args q
    WHERE (v.valid_from > q.since AND v.valid_from <= q.until)
       OR (v.valid_to > q.since AND v.valid_to <= q.until)
    UNION
    SELECT DISTINCT g.region, g.image_id FROM image_sightings g, args q
    WHERE (g.valid_from > q.since AND g.valid_from <= q.until)
       OR (g.valid_to > q.since AND g.valid_to <= q.until)
), instants AS (
    SELECT 'before' AS side, q.since AS t FROM args q
    UNION ALL
    SELECT 'after', q.until FROM args q
), chosen AS (
    -- Each candidate's view at each instant, found on narrow columns and addressed by
    -- rowid: the owner's view first, then the lowest account and scope.
    SELECT i.side, g.region, g.image_id, g.rowid AS sighting_row, v.rowid AS version_row
    FROM image_sightings g
    SEMI JOIN candidates c ON c.region = g.region AND c.image_id = g.image_id
    JOIN image_versions v ON v.region = g.region AND v.image_id = g.image_id
    JOIN instants i ON g.valid_from <= i.t AND (g.valid_to IS NULL OR g.valid_to > i.t)
                   AND v.valid_from <= i.t AND (v.valid_to IS NULL OR v.valid_to > i.t),
         args q
    WHERE (q.only_accounts IS NULL OR list_contains(q.only_accounts, g.viewer_account_id))
      AND (q.only_region IS NULL OR g.region = q.only_region)
    QUALIFY row_number() OVER (PARTITION BY i.side, g.region, g.image_id
        ORDER BY (g.viewer_account_id = v.owner_id) DESC, g.viewer_account_id, g.scope) = 1
), views AS (
    -- The wide columns, read only for the rows chosen.
    SELECT c.side, c.region, c.image_id, v.state, v.deprecation_time, g.tags, v.public,
           g.image_allowed, g.last_launched_time, v.name, v.description,
           v.block_device_mappings, v.product_codes, v.state_reason,
           v.deregistration_protection, v.boot_mode, v.imds_support
    FROM chosen c
    JOIN image_versions v ON v.rowid = c.version_row
    JOIN image_sightings g ON g.rowid = c.sighting_row
), before AS (
    SELECT * FROM views WHERE side = 'before'
), after AS (
    SELECT * FROM views WHERE side = 'after'
), changed AS (
    SELECT b.region, b.image_id, a.name, unnest([
        {'field': 'state', 'before': b.state, 'after': a.state},
        {'field': 'deprecation_time', 'before': b.deprecation_time, 'after': a.deprecation_time},
        {'field': 'tags', 'before': b.tags::VARCHAR, 'after': a.tags::VARCHAR},
        {'field': 'public', 'before': b.public::VARCHAR, 'after': a.public::VARCHAR},
        {'field': 'image_allowed', 'before': b.image_allowed::VARCHAR, 'after': a.image_allowed::VARCHAR},
        {'field': 'last_launched_time', 'before': b.last_launched_time, 'after': a.last_launched_time},
        {'field': 'name', 'before': b.name, 'after': a.name},
        {'field': 'description', 'before': b.description, 'after': a.description},
        {'field': 'block_device_mappings', 'before': b.block_device_mappings::VARCHAR, 'after': a.block_device_mappings::VARCHAR},
        {'field': 'product_codes', 'before': b.product_codes::VARCHAR, 'after': a.product_codes::VARCHAR},
        {'field': 'state_reason', 'before': b.state_reason::VARCHAR, 'after': a.state_reason::VARCHAR},
        {'field': 'deregistration_protection', 'before': b.deregistration_protection, 'after': a.deregistration_protection},
        {'field': 'boot_mode', 'before': b.boot_mode, 'after': a.boot_mode},
        {'field': 'imds_support', 'before': b.imds_support, 'after': a.imds_support}
    ]) AS f
    FROM before b JOIN after a ON a.region = b.region AND a.image_id = b.image_id
)
SELECT 'added' AS change, a.region, a.image_id, a.name,
       NULL::VARCHAR AS field, NULL::VARCHAR AS before, NULL::VARCHAR AS after
FROM after a ANTI JOIN before b ON a.region = b.region AND a.image_id = b.image_id
UNION ALL
SELECT 'gone', b.region, b.image_id, b.name, NULL, NULL, NULL
FROM before b ANTI JOIN after a ON a.region = b.region AND a.image_id = b.image_id
UNION ALL
SELECT 'changed', region, image_id, name, f.field, f.before, f.after
FROM changed
WHERE f.before IS DISTINCT FROM f.after
ORDER BY change, region, image_id, field;
