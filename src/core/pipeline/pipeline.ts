/**
 * Fitting and applying a preprocessing pipeline. The fitted pipeline is plain JSON: the spec, each
 * step's learned state, the input signature and the feature layout; `transformTable` on new rows
 * gives features in the training layout.
 */
import type { SemanticType, Table } from '../data/table.ts';
import type { FeatureMatrix, FitContext, FittedState, PipelineSpec } from './types.ts';
import { PipelineError } from './types.ts';
import { stepImpl } from './registry.ts';
import { assemble, learnLayout, type AssembledFeature } from './assemble.ts';

export const PIPELINE_FORMAT_VERSION = 1;

export interface FittedPipeline {
  readonly formatVersion: number;
  readonly spec: PipelineSpec;
  readonly states: readonly FittedState[];
  /** Input columns the pipeline reads, with their types at training time. */
  readonly inputs: readonly { readonly name: string; readonly type: SemanticType }[];
  readonly layout: readonly AssembledFeature[];
  /** For each feature, the input column it came from. */
  readonly sources: readonly string[];
}

function runSteps(table: Table, spec: PipelineSpec, each: (t: Table, index: number) => Table): Table {
  let t = table;
  for (let k = 0; k < spec.steps.length; k++) {
    try {
      t = each(t, k);
    } catch (err) {
      if (err instanceof PipelineError) throw err;
      throw new PipelineError(`step ${k + 1} (${spec.steps[k].kind}) failed: ${(err as Error).message}`, {
        step: spec.steps[k].kind,
      });
    }
  }
  return t;
}

/** Fits every step on the training table (target already removed) and returns the training features. */
export function fitPipeline(
  spec: PipelineSpec,
  table: Table,
  ctx: FitContext,
): { pipeline: FittedPipeline; matrix: FeatureMatrix } {
  const states: FittedState[] = [];
  const lineage = new Map<string, string>(table.columns.map((c) => [c.name, c.name]));
  const out = runSteps(table, spec, (t, k) => {
    const step = spec.steps[k];
    const impl = stepImpl(step.kind);
    const state = impl.fit(t, step, ctx);
    states.push(state);
    for (const [output, input] of state.produced) lineage.set(output, lineage.get(input) ?? input);
    return impl.fitTransform ? impl.fitTransform(t, step, state, ctx) : impl.transform(t, step, state);
  });
  const layout = learnLayout(out);
  const sources = layout.map((f) => lineage.get(f.name) ?? f.name);
  const pipeline: FittedPipeline = {
    formatVersion: PIPELINE_FORMAT_VERSION,
    spec,
    states,
    inputs: table.columns.map((c) => ({ name: c.name, type: c.type })),
    layout,
    sources,
  };
  return { pipeline, matrix: assemble(out, layout, sources) };
}

/** Applies a fitted pipeline to new rows. Extra columns are ignored; missing input columns are an error. */
export function transformTable(pipeline: FittedPipeline, table: Table): FeatureMatrix {
  const names = new Set(table.columns.map((c) => c.name));
  const dropped = new Set(pipeline.spec.steps.filter((s) => s.kind === 'drop').flatMap((s) => s.columns));
  const missing = pipeline.inputs
    .filter((c) => !names.has(c.name) && !dropped.has(c.name))
    .map((c) => c.name);
  if (missing.length)
    throw new PipelineError(`the data lacks column(s) the model needs: ${missing.join(', ')}`);
  const known = new Set(pipeline.inputs.map((c) => c.name));
  const input: Table = { nRows: table.nRows, columns: table.columns.filter((c) => known.has(c.name)) };
  const out = runSteps(input, pipeline.spec, (t, k) => {
    const step = pipeline.spec.steps[k];
    return stepImpl(step.kind).transform(t, step, pipeline.states[k]);
  });
  return assemble(out, pipeline.layout, pipeline.sources);
}

/** Human-readable list of the steps, for the UI and the model card. */
export function describePipeline(spec: PipelineSpec): string[] {
  return spec.steps.map((s) => stepImpl(s.kind).describe(s));
}

export function parsePipeline(json: unknown): FittedPipeline {
  const p = json as Partial<FittedPipeline> | null;
  if (!p || typeof p !== 'object' || !Array.isArray(p.states) || !p.spec || !Array.isArray(p.layout)) {
    throw new PipelineError('not a fitted pipeline (pipeline.json is malformed)');
  }
  if (p.formatVersion !== PIPELINE_FORMAT_VERSION) {
    throw new PipelineError(
      `unsupported pipeline format version ${String(p.formatVersion)} (this studio reads ${PIPELINE_FORMAT_VERSION})`,
    );
  }
  for (const s of p.spec.steps) stepImpl(s.kind);
  return p as FittedPipeline;
}
