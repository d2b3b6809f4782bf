-- Export `lineage`: the `image_lineage` view now, one row per link of each owned copy's
-- chain, with the account that listed it (`account`, a partition column).
SELECT account_id AS account, *
FROM image_lineage
