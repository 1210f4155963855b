/** Vitest adapter of the shared store contract (see contract-cases.ts). */
import { afterEach, describe, it } from 'vitest';
import type { TrackingStore } from '../../src/core/tracking/store.ts';
import { storeContract } from './contract-cases.ts';

export function runStoreContract(
  name: string,
  makeStore: () => Promise<TrackingStore> | TrackingStore,
): void {
  describe(`TrackingStore contract: ${name}`, () => {
    let open: TrackingStore[] = [];
    afterEach(async () => {
      await Promise.all(open.map((s) => s.close()));
      open = [];
    });
    for (const c of storeContract) {
      it(c.name, async () => {
        const store = await makeStore();
        open.push(store);
        await c.run(store);
      });
    }
  });
}
