/**
 * AutoML search: spaces, samplers, study (ask/tell), successive halving, ensemble, the runner with its
 * trial executors (in process, worker pool), and live recording into a tracking store.
 */
export * from './space.ts';
export * from './spaces.ts';
export * from './samplers/index.ts';
export * from './halving.ts';
export * from './study.ts';
export * from './ensemble.ts';
export * from './runner.ts';
export * from './context.ts';
export * from './evaluate-trial.ts';
export * from './executor.ts';
export * from './pool.ts';
export * from './trial-endpoint.ts';
export * from './record.ts';
