-- Export `instances`: the `instances` view now, one row per record of each account and
-- region, with the account that listed it (`account`, a partition column).
SELECT account_id AS account, *
FROM instances
