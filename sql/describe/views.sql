-- DescribeImages, answered from the store: the answer (describe_answer, from
-- answer.sql) with the members of the view each caller was shown, read from the
-- winning sighting. A statement of its own, as images.sql is: each joins a small table
-- of known size to a large one by rowid, so that DuckDB reads the large one's wide
-- columns only for the rows joined.
-- pos: the image's place in the answer, from 0: describe_answer was made in the
-- answer's order, which DuckDB keeps as the rows' order (preserve_insertion_order).
SELECT w.*, g.tags, g.last_launched_time, g.image_allowed, w.rowid AS pos
FROM describe_answer w
JOIN image_sightings g ON g.rowid = w.sighting_row
