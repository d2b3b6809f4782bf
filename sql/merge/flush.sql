-- Inserts the rows the round's partitions noted (partition.sql) and forgets them: run
-- before the round commits, and before a partition whose merge could see them
-- (conflicts.sql).
--
-- `round_file` is a view of every staging file of the round, as the batch schema in
-- src/batch.rs has them, with file_index and file_row_number. Every row carries its
-- partition's run, region, viewer account and scope. The wide rows stream from
-- the files through a semi join on the narrow noted rows, one INSERT per table: DuckDB
-- then writes them on all its threads, in full row groups but for a few at the seams
-- between its threads' work. The rows keep the files' order only roughly: each thread
-- fills row groups of its own.
--
-- Columns go by name: `{viewer_columns}` is replaced with the members the shape
-- (src/shape.rs) says depend on the viewer; every other member is the version's. Only
-- the members some staged row of the round holds are read: `{empty_columns}` names the
-- version's that none holds (each after a comma) and `{viewer_values}` the viewer's
-- that some row holds (each after a comma); a column left out is inserted as NULL.

INSERT INTO image_versions BY NAME
SELECT s.* EXCLUDE (run_id, viewer_account_id, scope, view_hash, file_index, file_row_number,
                   {viewer_columns}{empty_columns}),
       s.run_id AS valid_from_run, now() AS valid_from
FROM round_file s
SEMI JOIN pending_versions p
    ON p.file_index = s.file_index AND p.file_row_number = s.file_row_number;

INSERT INTO image_sightings BY NAME
SELECT s.region, s.image_id, s.viewer_account_id, s.scope, s.view_hash,
       s.run_id AS valid_from_run, now() AS valid_from{viewer_values}
FROM round_file s
SEMI JOIN pending_sightings p
    ON p.file_index = s.file_index AND p.file_row_number = s.file_row_number;

DELETE FROM pending_versions;
DELETE FROM pending_sightings;
