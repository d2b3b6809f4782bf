-- Export `current`: the inventory now, one row per region and image, with the
-- account that owns it (`account`, a partition column). The columns are the `images`
-- view's; a change to them is a new file here and a note in the README.
SELECT owner_id AS account, *
FROM images
