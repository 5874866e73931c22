-- Up Migration
CREATE TABLE things (id integer PRIMARY KEY);

-- Down Migration
DROP TABLE things;
