/**
 * The page's side of the features worker (workers/features.worker.ts): started on first use, every call
 * settles with a result value (a crash becomes a failure naming the worker, never a thrown error).
 */
import type { Remote } from 'comlink';
import type { Recipe } from '../../core/features/index.ts';
import type { StoredRecipeSummary } from '../../core/features/store.ts';
import type {
  FeatureCsv,
  FeaturePreviewResult,
  FeatureProjectState,
  FeaturesWorkerApi,
  FeatureSuggestRequest,
  FeatureSuggestResult,
  FeatureTableSummary,
  RecipeRun,
  StoredBuild,
  StoredRecipeInfo,
  WorkerFailure,
  WorkerResult,
} from '../../../workers/types.ts';
import type { RelationshipProposals } from '../../core/features/index.ts';
import { WorkerSlot } from './worker-slot.ts';

export const defaultFeaturesWorkerFactory = (): Worker =>
  new Worker(new URL('../../../workers/features.worker.ts', import.meta.url), {
    type: 'module',
    name: 'features',
  });

export class FeaturesClient {
  readonly #slot: WorkerSlot<FeaturesWorkerApi, WorkerFailure>;

  constructor(factory: () => Worker = defaultFeaturesWorkerFactory) {
    this.#slot = new WorkerSlot(factory, {
      label: 'features',
      afterCrash: 'Reload the page to reopen the tables kept in this browser.',
    });
  }

  /** The worker that ran the last call: a new one (after a crash) first reopens the kept tables. */
  #last: unknown = null;

  #call<T>(run: (remote: Remote<FeaturesWorkerApi>) => Promise<WorkerResult<T>>): Promise<WorkerResult<T>> {
    const inst = this.#slot.get();
    const replaced = this.#last !== null && this.#last !== inst;
    this.#last = inst;
    return this.#slot.call(inst, async () => {
      if (replaced) await inst.remote.restore();
      return run(inst.remote);
    });
  }

  addTable(file: File): Promise<WorkerResult<FeatureTableSummary>> {
    return this.#call((r) => r.addTable(file));
  }
  removeTable(name: string): Promise<WorkerResult<true>> {
    return this.#call((r) => r.removeTable(name));
  }
  propose(target: string | null): Promise<WorkerResult<RelationshipProposals>> {
    return this.#call((r) => r.propose(target));
  }
  suggest(request: FeatureSuggestRequest): Promise<WorkerResult<FeatureSuggestResult>> {
    return this.#call((r) => r.suggest(request));
  }
  preview(recipe: Recipe, rows: number): Promise<WorkerResult<FeaturePreviewResult>> {
    return this.#call((r) => r.preview(recipe, rows));
  }
  build(recipe: Recipe, name: string): Promise<WorkerResult<FeatureCsv>> {
    return this.#call((r) => r.build(recipe, name));
  }
  tableCsv(name: string): Promise<WorkerResult<FeatureCsv>> {
    return this.#call((r) => r.tableCsv(name));
  }
  keptFiles(
    names: readonly string[],
  ): Promise<WorkerResult<Readonly<Record<string, { readonly name: string; readonly bytes: ArrayBuffer }>>>> {
    return this.#call((r) => r.keptFiles(names));
  }
  recipeRun(recipe: Recipe): Promise<WorkerResult<RecipeRun>> {
    return this.#call((r) => r.recipeRun(recipe));
  }
  storeRecipe(name: string, recipe: Recipe): Promise<WorkerResult<StoredRecipeInfo>> {
    return this.#call((r) => r.storeRecipe(name, recipe));
  }
  storedRecipes(): Promise<WorkerResult<readonly StoredRecipeSummary[]>> {
    return this.#call((r) => r.storedRecipes());
  }
  buildStored(name: string, version: number, csvName: string): Promise<WorkerResult<StoredBuild>> {
    return this.#call((r) => r.buildStored(name, version, csvName));
  }
  save(state: FeatureProjectState): Promise<WorkerResult<true>> {
    return this.#call((r) => r.save(state));
  }
  restore(): Promise<WorkerResult<FeatureProjectState | null>> {
    return this.#call((r) => r.restore());
  }
  clear(): Promise<WorkerResult<true>> {
    return this.#call((r) => r.clear());
  }
  dispose(): void {
    this.#slot.kill({ code: 'worker-died', message: 'The features worker was stopped.' });
  }
}
