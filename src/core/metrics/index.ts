export * from './classification.ts';
export * from './regression.ts';
export * from './splits.ts';
export * from './evaluate.ts';
export * from './threshold.ts';
