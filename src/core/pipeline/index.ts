export * from './types.ts';
export * from './pipeline.ts';
export * from './auto.ts';
export { stepKinds } from './registry.ts';
