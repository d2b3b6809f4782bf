-- The fingerprint of the views and macros (sql/views.sql) the store holds, so that a
-- write open replaces them only when this release's differ: replacing them costs
-- about 45 ms and a checkpoint at every open (docs/decisions/0013-opens-on-the-critical-path.md).
-- One row; a release that knows this schema replaces the views and the row together.
CREATE TABLE amiq_views (fingerprint BIGINT NOT NULL);
