-- Export `history`: every version of every image with when it was valid; with
-- `since`, only versions opened or closed by a later run. Parameter: since (NULL: all).
SELECT owner_id AS account, *
FROM image_history
WHERE $since IS NULL OR valid_from_run > $since OR valid_to_run > $since
