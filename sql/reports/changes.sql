-- Report `changes`: images added, gone and changed between two instants, field by
-- field for the changed ones. Parameters: since, until (epoch microseconds), account,
-- region. An image counts once per region; with an account, as that account saw it.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS since,
           make_timestamp(?::BIGINT)::TIMESTAMPTZ AS until,
           ?::VARCHAR AS only_account, ?::VARCHAR AS only_region
), candidates AS (
    -- Only images a version or sighting of which began or ended in between can differ.
    SELECT DISTINCT v.region, v.image_id FROM image_versions v, args q
    WHERE (v.valid_from > q.since AND v.valid_from <= q.until)
       OR (v.valid_to > q.since AND v.valid_to <= q.until)
    UNION
    SELECT DISTINCT g.region, g.image_id FROM image_sightings g, args q
    WHERE (g.valid_from > q.since AND g.valid_from <= q.until)
       OR (g.valid_to > q.since AND g.valid_to <= q.until)
), before AS (
    SELECT s.* FROM image_views_as_of((SELECT since FROM args)) s
    SEMI JOIN candidates c ON c.region = s.region AND c.image_id = s.image_id, args q
    WHERE (q.only_account IS NULL OR s.viewer_account_id = q.only_account)
      AND (q.only_region IS NULL OR s.region = q.only_region)
    QUALIFY row_number() OVER (PARTITION BY s.region, s.image_id
        ORDER BY (s.viewer_account_id = s.owner_id) DESC, s.viewer_account_id, s.scope) = 1
), after AS (
    SELECT s.* FROM image_views_as_of((SELECT until FROM args)) s
    SEMI JOIN candidates c ON c.region = s.region AND c.image_id = s.image_id, args q
    WHERE (q.only_account IS NULL OR s.viewer_account_id = q.only_account)
      AND (q.only_region IS NULL OR s.region = q.only_region)
    QUALIFY row_number() OVER (PARTITION BY s.region, s.image_id
        ORDER BY (s.viewer_account_id = s.owner_id) DESC, s.viewer_account_id, s.scope) = 1
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
    -- Only pairs that differ are taken apart field by field.
    WHERE {'state': b.state, 'deprecation_time': b.deprecation_time, 'tags': b.tags,
           'public': b.public, 'image_allowed': b.image_allowed,
           'last_launched_time': b.last_launched_time, 'name': b.name,
           'description': b.description, 'block_device_mappings': b.block_device_mappings,
           'product_codes': b.product_codes, 'state_reason': b.state_reason,
           'deregistration_protection': b.deregistration_protection,
           'boot_mode': b.boot_mode, 'imds_support': b.imds_support}
          IS DISTINCT FROM
          {'state': a.state, 'deprecation_time': a.deprecation_time, 'tags': a.tags,
           'public': a.public, 'image_allowed': a.image_allowed,
           'last_launched_time': a.last_launched_time, 'name': a.name,
           'description': a.description, 'block_device_mappings': a.block_device_mappings,
           'product_codes': a.product_codes, 'state_reason': a.state_reason,
           'deregistration_protection': a.deregistration_protection,
           'boot_mode': a.boot_mode, 'imds_support': a.imds_support}
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
