-- Export `history`: every version of every image with when it was valid; with
-- `since`, only versions opened or closed by a later run. `$since` is replaced with
-- the number, or NULL for all, by src/export/mod.rs before the text runs (COPY takes no
-- bound parameters).
SELECT owner_id AS account, *
FROM image_history
WHERE $since IS NULL OR valid_from_run > $since OR valid_to_run > $since
