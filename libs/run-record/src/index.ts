export { loadSummarySchema, generatorVerdictSchema, parseLoadSummary, summaryValue } from './summary';
export type { LoadSummary, SummaryMetric, GeneratorVerdict, ScenarioState } from './summary';
export { VALIDITY_BOUNDS, judgeGenerator, judgeRun } from './validity';
export type { ValidityBounds, ValidityCheck, ValidityCheckName, RunVerdict, RunFigures } from './validity';
export { runMetaSchema, runVerdictSchema, databaseEvidenceSchema, hostStatsSchema, telemetryHealthSchema, experimentInfoSchema, isolationSchema, cpuQuotaSchema, legacySpeedSchema, conversionSettingsSchema } from './records';
export type { RunMeta, DatabaseEvidence, SqlEvidence, HostStats, TelemetryHealth, ExperimentInfo, Isolation, CpuQuota, LegacySpeed, ConversionSettings } from './records';
export { RUN_FILES, RUNS_DIR, EXPERIMENT_FILE, RunRecordError, writeRunRecord, writeExperimentInfo, readRunRecord, readExperimentInfo, findRunDirs } from './io';
export type { RunRecord } from './io';
