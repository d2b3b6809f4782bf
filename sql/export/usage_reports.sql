-- Export `usage-reports`: the `image_usage_reports` view now, one row per usage report
-- with its entries as a nested list, with the account that owns it (`account`, a
-- partition column).
SELECT account_id AS account, *
FROM image_usage_reports
