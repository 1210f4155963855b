import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.ts';
import { isStoreError } from '../../src/core/tracking/errors.ts';
import { runStoreContract } from './contract.ts';

runStoreContract('memory', () => createMemoryStore());

describe('memory store specifics', () => {
  it('simulated quota: clear QUOTA_EXCEEDED message, earlier data intact', async () => {
    const store = createMemoryStore({ quotaBytes: 100 });
    await store.write([
      { op: 'createExperiment', id: 'e', name: 'E', createdAt: 1 },
      { op: 'startRun', id: 'r', experimentId: 'e', startTime: 1 },
      {
        op: 'putArtifact',
        id: 'a',
        runId: 'r',
        name: 'a',
        kind: 'model',
        bytes: new Uint8Array(60),
        createdAt: 1,
      },
    ]);
    const err = await store
      .write([
        {
          op: 'putArtifact',
          id: 'b',
          runId: 'r',
          name: 'b',
          kind: 'model',
          bytes: new Uint8Array(60).fill(1),
          createdAt: 2,
        },
      ])
      .catch((e: unknown) => e);
    expect(isStoreError(err, 'QUOTA_EXCEEDED')).toBe(true);
    expect((err as Error).message).toMatch(/storage is full.*not saved.*Everything saved earlier is intact/s);
    expect(await store.getArtifact('b')).toBeUndefined();
    expect(await store.getArtifactBytes('a')).toEqual(new Uint8Array(60));
    expect((await store.usage()).blobBytes).toBe(60);
  });
});
