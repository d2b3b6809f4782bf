-- DescribeImages, answered from the store: images.sql when a reader asks for nothing
-- but the image ids, regions and callers (`Images[].ImageId`) and no version holds
-- elements the reader did not know (which images.sql reads from the versions): the
-- answer has them, and the versions are not joined.
SELECT w.caller, w.region, w.image_id,
       {'ImageId': w.image_id} AS image,
       w.pos
FROM describe_views w
ORDER BY pos
