-- Runs once, when the billing-postgres container initialises its data directory.
-- pg_stat_statements is preloaded by the server's command line; this makes its view queryable.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
