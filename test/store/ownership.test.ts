/**
 * Ownership of RUNNING runs (src/core/tracking/ownership.ts) over the memory store. Node has no Web
 * Locks, so `Locks` below implements the part of the API used (exclusive named locks, queued
 * requests, abort, query) — the real API is exercised in Chromium by test/e2e/two-tabs.e2e.ts.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.ts';
import {
  HEARTBEAT_TAG,
  OWNER_TAG,
  ownerCheck,
  createOwnerWatch,
  ownRuns,
  recoverRuns,
  runLockName,
  watchOwners,
  type LockManagerLike,
} from '../../src/core/tracking/ownership.ts';

type Cb = (lock: unknown) => Promise<unknown>;

/** Exclusive named locks of one origin; `holders` are the contexts (tabs/workers) alive. */
class Locks {
  private readonly held = new Map<string, string>();
  private readonly queue = new Map<string, { owner: string; cb: Cb; done: (v: unknown) => void }[]>();
  /** The lock manager as seen from one context; `kill(owner)` releases everything it held. */
  context(owner: string): LockManagerLike {
    const request = (name: string, a: unknown, b?: unknown): Promise<unknown> => {
      const cb = (typeof a === 'function' ? a : b) as Cb;
      const signal = (typeof a === 'object' ? (a as { signal?: AbortSignal }).signal : undefined) ?? null;
      return new Promise((done, fail) => {
        const entry = { owner, cb, done };
        signal?.addEventListener('abort', () => {
          const q = this.queue.get(name) ?? [];
          const i = q.indexOf(entry);
          if (i >= 0) {
            q.splice(i, 1);
            fail(new DOMException('aborted', 'AbortError'));
          }
        });
        const q = this.queue.get(name) ?? [];
        q.push(entry);
        this.queue.set(name, q);
        this.pump(name);
      });
    };
    return {
      request: request as LockManagerLike['request'],
      query: async () => ({ held: [...this.held.keys()].map((name) => ({ name })) }),
    };
  }
  private pump(name: string): void {
    if (this.held.has(name)) return;
    const next = this.queue.get(name)?.shift();
    if (!next) return;
    this.held.set(name, next.owner);
    void next
      .cb({ name })
      .then(next.done, next.done)
      .finally(() => {
        if (this.held.get(name) === next.owner) {
          this.held.delete(name);
          this.pump(name);
        }
      });
  }
  kill(owner: string): void {
    for (const [name, o] of [...this.held]) {
      if (o !== owner) continue;
      this.held.delete(name);
      this.pump(name);
    }
  }
  isHeld(name: string): boolean {
    return this.held.has(name);
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('ownRuns + recovery with Web Locks', () => {
  it('a run holds its lock from before its record exists until it ends', async () => {
    const locks = new Locks();
    const base = createMemoryStore();
    const worker = ownRuns(base, { locks: locks.context('worker') });
    await worker.write([{ op: 'createExperiment', id: 'e', name: 'E', createdAt: 1 }]);
    await worker.write([{ op: 'startRun', id: 'r', experimentId: 'e', startTime: 1 }]);
    expect(locks.isHeld(runLockName('r'))).toBe(true);
    expect((await base.getRun('r'))?.tags).toEqual({}); // no owner tags where locks exist
    // another tab starting now recovers nothing
    const check = () => ownerCheck({ locks: locks.context('tab-b') });
    expect(await recoverRuns(base, check, { now: 5 })).toEqual({ interrupted: 0, alive: ['r'] });
    await worker.write([{ op: 'endRun', runId: 'r', state: 'COMPLETE', endTime: 9 }]);
    await expect.poll(() => locks.isHeld(runLockName('r'))).toBe(false);
    // a failed startRun releases its lock
    await expect(
      worker.write([{ op: 'startRun', id: 'x', experimentId: 'nope', startTime: 1 }]),
    ).rejects.toThrow();
    await expect.poll(() => locks.isHeld(runLockName('x'))).toBe(false);
  });

  it('a run started while another tab opens is never marked: owners are checked after the read', async () => {
    // CI failure (two-tabs.e2e): tab B took its lock snapshot, A's worker then started a trial (lock,
    // then record), B's read listed the trial RUNNING and, not finding its lock in the older
    // snapshot, marked it interrupted under its live owner.
    const locks = new Locks();
    const base = createMemoryStore();
    const a = ownRuns(base, { locks: locks.context('tab-a') });
    await a.write([{ op: 'createExperiment', id: 'e', name: 'E', createdAt: 1 }]);
    const b = locks.context('tab-b');
    let built = false;
    const { interrupted, alive } = await recoverRuns(
      base,
      async () => {
        built = true;
        return ownerCheck({ locks: b });
      },
      {
        now: 5,
        running: async () => {
          expect(built).toBe(false); // the check is not built before the read
          await a.write([{ op: 'startRun', id: 'trial', experimentId: 'e', startTime: 2 }]);
          return (await base.searchRuns({ experimentId: 'e' })).runs.filter((r) => r.state === 'RUNNING');
        },
      },
    );
    expect(interrupted).toBe(0);
    expect(alive).toEqual(['trial']);
    expect((await base.getRun('trial'))?.state).toBe('RUNNING');
  });

  it('recovery marks only runs whose owner is gone; a watching tab recovers a dying owner’s runs', async () => {
    const locks = new Locks();
    const base = createMemoryStore();
    const a = ownRuns(base, { locks: locks.context('tab-a') });
    await a.write([{ op: 'createExperiment', id: 'e', name: 'E', createdAt: 1 }]);
    await a.write([{ op: 'startRun', id: 'search', experimentId: 'e', startTime: 1 }]);
    await a.write([{ op: 'startRun', id: 'trial', experimentId: 'e', parentRunId: 'search', startTime: 2 }]);
    // a run with no owner at all (a tab closed before this code existed)
    await base.write([{ op: 'startRun', id: 'orphan', experimentId: 'e', startTime: 1 }]);
    const b = locks.context('tab-b');
    const { interrupted, alive } = await recoverRuns(base, () => ownerCheck({ locks: b }), { now: 10 });
    expect(interrupted).toBe(1);
    expect([...alive].sort()).toEqual(['search', 'trial']);
    expect((await base.getRun('orphan'))?.error?.reason).toBe('interrupted');
    let seen = 0;
    const stop = watchOwners(
      base,
      alive,
      b,
      (n) => (seen += n),
      () => 20,
    );
    // the trial ends normally: the watcher gets its lock but has nothing to do
    await a.write([{ op: 'endRun', runId: 'trial', state: 'COMPLETE', endTime: 15 }]);
    await tick();
    expect(seen).toBe(0);
    // tab A dies mid-search: its lock is released with the run still RUNNING
    locks.kill('tab-a');
    await expect.poll(() => seen).toBe(1);
    const s = await base.getRun('search');
    expect([s?.state, s?.endTime, s?.error?.reason]).toEqual(['FAILED', 20, 'interrupted']);
    expect((await base.getRun('trial'))?.state).toBe('COMPLETE');
    stop();
  });
});

describe('createOwnerWatch.watchHeld', () => {
  it('watches runs whose lock is held; a RUNNING run with a free lock is left alone', async () => {
    const locks = new Locks();
    const base = createMemoryStore();
    const a = ownRuns(base, { locks: locks.context('tab-a') });
    await a.write([{ op: 'createExperiment', id: 'e', name: 'E', createdAt: 1 }]);
    await a.write([{ op: 'startRun', id: 'owned', experimentId: 'e', startTime: 1 }]);
    await base.write([{ op: 'startRun', id: 'lockless', experimentId: 'e', startTime: 1 }]);
    let seen = 0;
    const w = createOwnerWatch(
      base,
      locks.context('tab-b'),
      (n) => (seen += n),
      () => 7,
    );
    await w.watchHeld(['owned', 'lockless']);
    await tick();
    expect((await base.getRun('lockless'))?.state).toBe('RUNNING');
    expect(seen).toBe(0);
    locks.kill('tab-a');
    await expect.poll(() => seen).toBe(1);
    expect((await base.getRun('owned'))?.error?.reason).toBe('interrupted');
    expect((await base.getRun('lockless'))?.state).toBe('RUNNING');
    w.stop();
  });
});

describe('ownRuns without Web Locks: owner tags and a heartbeat', () => {
  it('CLI process: pid@host tag, heartbeat refreshed while RUNNING, stopped after the end', async () => {
    let t = 1000;
    const base = createMemoryStore();
    const proc = ownRuns(base, { process: { pid: 4242, host: 'h1' }, heartbeatMs: 20, now: () => t });
    await proc.write([{ op: 'createExperiment', id: 'e', name: 'E', createdAt: 1 }]);
    await proc.write([{ op: 'startRun', id: 'r', experimentId: 'e', startTime: 1, tags: { k: 'v' } }]);
    expect((await base.getRun('r'))?.tags).toEqual({
      k: 'v',
      [OWNER_TAG]: 'pid:4242@h1',
      [HEARTBEAT_TAG]: '1000',
    });
    t = 2000;
    await expect.poll(async () => (await base.getRun('r'))?.tags[HEARTBEAT_TAG]).toBe('2000');
    await proc.write([{ op: 'endRun', runId: 'r', state: 'COMPLETE', endTime: 3 }]);
    t = 3000;
    await new Promise((r) => setTimeout(r, 80));
    expect((await base.getRun('r'))?.tags[HEARTBEAT_TAG]).toBe('2000');
    await proc.close();
  });

  it('liveness: same host by pid, other hosts and lock-less tabs by heartbeat age', async () => {
    const now = 1_000_000;
    const check = await ownerCheck({
      process: { host: 'h1', pidAlive: (pid) => pid === 1 },
      now: () => now,
      heartbeatMs: 1000,
    });
    const run = (tags: Record<string, string>) =>
      ({ id: 'r', tags }) as unknown as Parameters<typeof check>[0];
    const hb = (age: number) => String(now - age);
    expect(check(run({ [OWNER_TAG]: 'pid:1@h1', [HEARTBEAT_TAG]: hb(1e9) }))).toBe(true);
    expect(check(run({ [OWNER_TAG]: 'pid:2@h1', [HEARTBEAT_TAG]: hb(0) }))).toBe(false);
    expect(check(run({ [OWNER_TAG]: 'pid:2@h2', [HEARTBEAT_TAG]: hb(2000) }))).toBe(true);
    expect(check(run({ [OWNER_TAG]: 'pid:2@h2', [HEARTBEAT_TAG]: hb(4000) }))).toBe(false);
    expect(check(run({ [OWNER_TAG]: 'tab', [HEARTBEAT_TAG]: hb(2000) }))).toBe(true);
    expect(check(run({ [OWNER_TAG]: 'tab' }))).toBe(false);
    expect(check(run({}))).toBe(false);
  });
});
