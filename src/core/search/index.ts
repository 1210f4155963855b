/** AutoML search: spaces, samplers, study (ask/tell), successive halving, ensemble, in-process runner. */
export * from './space.ts';
export * from './spaces.ts';
export * from './samplers/index.ts';
export * from './halving.ts';
export * from './study.ts';
export * from './ensemble.ts';
export * from './runner.ts';
