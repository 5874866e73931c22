import * as path from 'node:path';

/** The JSON Schema (draft-07) of report.json, shipped with the library. */
export const REPORT_SCHEMA_PATH = path.join(__dirname, '..', 'report.schema.json');
