-- Export `launch-permissions`: the `image_launch_permissions` view now, one row per
-- grant of each owned image, with the account that owns it (`account`, a partition
-- column).
SELECT account_id AS account, *
FROM image_launch_permissions
