-- DescribeImages, answered from the store: the answer (describe_answer, from
-- answer.sql) with the members of the view each caller was shown, read from the
-- winning sighting. A statement of its own, as images.sql is: each joins a small table
-- of known size to a large one by rowid, so that DuckDB reads the large one's wide
-- columns only for the rows joined.
SELECT w.*, g.tags, g.last_launched_time, g.image_allowed
FROM describe_answer w
JOIN image_sightings g ON g.rowid = w.sighting_row
