/**
 * A converged elastic-net GLM solver for the linear family's objective (issues #17, #22): a standalone
 * module, not yet a model family; see fit.ts for the entry points.
 */
export * from './objective.ts';
export * from './solver.ts';
export * from './fit.ts';
export * from './path.ts';
