/** Monitoring: reference profiles, per-column drift with data quality, and batch drift reports. */
export * from './reference.ts';
export * from './drift.ts';
export * from './report.ts';
export * from './calibration.ts';
