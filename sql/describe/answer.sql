-- DescribeImages, answered from the store: which images (src/describe/query.rs fills
-- the marked places with fixed SQL from src/describe/filter.rs; every value is a bound
-- parameter).
--
-- The caller's view at instant t: every image a sighting showed the caller (its own
-- owned, shared and owner listings) plus every image of the region's public catalogs
-- (fetched once for all accounts), one row per (caller, region, image id). Where the
-- caller saw an image under several scopes, its own listing's view wins over a catalog
-- fetched for another account.
--
-- The answer is found on narrow columns (keys, validity and the columns the filters
-- name) and kept in a temporary table, rows addressed by rowid; images.sql then reads
-- the wide columns for those rows alone. Two statements, so that DuckDB plans the
-- wide read knowing how many rows the answer has: planned as one, its estimate of the
-- answer's size could be far off, and it hashed every sighting's tags to find one.
WITH args AS (
    SELECT make_timestamp(?::BIGINT)::TIMESTAMPTZ AS t,
           ?::VARCHAR AS caller,
           ?::VARCHAR AS region,
           ?::VARCHAR AS ou
), callers AS (
    -- With an OU (its id), only the callers placed under it at t, at any depth.
    SELECT c.account_id
    FROM (SELECT a.caller AS account_id FROM args a WHERE a.caller IS NOT NULL
          UNION
          SELECT DISTINCT p.account_id FROM sync_partitions p, args a WHERE a.caller IS NULL) c,
         args a
    WHERE a.ou IS NULL OR c.account_id IN (
        SELECT h.member_account_id FROM accounts_history h
        WHERE h.valid_from <= a.t AND (h.valid_to IS NULL OR h.valid_to > a.t)
          AND list_contains(string_split(h.ou_path_ids, '/'), a.ou))
), catalogs AS (
    SELECT DISTINCT region, scope FROM sync_partitions WHERE catalog
), versions AS NOT MATERIALIZED (
    -- Inlined at its one use, so that only the columns the filters name are read.
    SELECT v.*, v.rowid AS version_row
    FROM image_versions v, args a
    WHERE v.valid_from <= a.t AND (v.valid_to IS NULL OR v.valid_to > a.t)
      AND (a.region IS NULL OR v.region = a.region)
      /* version filters */
), sightings AS /* sightings materialized */ (
    -- Used twice below. Inlined at each use (NOT MATERIALIZED), so that each reads
    -- only what its join needs; read once (MATERIALIZED) when the request names image
    -- ids, whose few sightings are cheaper kept than found again.
    -- view_passes: the view filters (tags, image allowed) on this sighting's view;
    -- they are judged on the view that wins below.
    SELECT g.region, g.image_id, g.viewer_account_id, g.scope, g.rowid AS sighting_row,
           /* view filters */ AS view_passes
    FROM image_sightings g, args a
    WHERE g.valid_from <= a.t AND (g.valid_to IS NULL OR g.valid_to > a.t)
      AND (a.region IS NULL OR g.region = a.region)
      /* sighting filters */
), seen AS (
    SELECT c.account_id AS caller, g.*, 0 AS rank
    FROM sightings g JOIN callers c ON g.viewer_account_id = c.account_id
    UNION ALL
    SELECT c.account_id AS caller, g.*, 1 AS rank
    FROM sightings g
    JOIN catalogs k ON k.region = g.region AND k.scope = g.scope
    CROSS JOIN callers c
    WHERE g.viewer_account_id <> c.account_id
), caller_views AS (
    -- The winning view is the caller's own listing's (rank 0) before a catalog
    -- fetched for another account (rank 1), then the lowest row: one BIGINT minimum,
    -- rank in bit 62, the row above bit 0, whether the view filters pass in bit 0.
    -- With one caller and one region, the image id alone is the key, and the caller
    -- and region of every row are the arguments' (a.caller, a.region); otherwise they
    -- are the row's (w.caller, w.region). query.rs fills in which.
    --
    -- Where the versions meet the views is query.rs's choice too (its `Grouping`):
    -- after the grouping (`versions after grouping`: the join then reads only the
    -- images whose views pass), or, when the request filters the versions, before it
    -- (`versions before grouping`: only the sightings of the images whose versions
    -- pass are grouped, and each group carries its version's row).
    SELECT /* group columns */,
           bool_or(s.scope = 'shared') AS shared,
           min((s.rank::BIGINT << 62) | (s.sighting_row << 1) | s.view_passes::BIGINT) AS view
           /* version row of the group */
    FROM seen s
    /* versions before grouping */
    GROUP BY /* group columns */
), answer AS (
    SELECT /* caller */ AS caller, /* region */ AS region, w.image_id,
           /* answer's version row */ AS version_row,
           (w.view & 4611686018427387903) >> 1 AS sighting_row
    FROM caller_views w
    /* versions after grouping */, args a
    WHERE (w.view & 1) = 1
      /* row filters */
)
-- The answer's order, outermost: describe_answer keeps it, and its rowid is then an
-- image's place (src/describe/found.rs relies on it). None when only the answer's
-- size is asked: query.rs then counts these rows.
SELECT caller, region, image_id, version_row, sighting_row FROM answer
/* order by */
/* limit */
