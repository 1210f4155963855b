import { describe, expect, it } from 'vitest';
import { createTrialPool, defaultPoolSize, type TrialWorkerHandle } from '../../../src/core/search/pool.ts';
import type { SearchContext, SearchData } from '../../../src/core/search/context.ts';
import type { TrialTask } from '../../../src/core/search/evaluate-trial.ts';
import type { ReportFn, WireTrialOutcome } from '../../../src/core/search/trial-endpoint.ts';

const data = { table: { nRows: 0, columns: [] }, spec: {} } as unknown as SearchData;
const ctx = {} as SearchContext;
const task = (n: number): TrialTask => ({
  id: `trial-${n}`,
  number: n,
  family: 'gbdt',
  config: {},
  seed: n,
  rungs: [30],
  halving: false,
  peers: {},
});

type Behaviour = 'ok' | 'crash' | 'hang' | 'throw' | 'slow-stop';

/** A fake worker: `behaviour(n)` decides what trial n does. */
function fakeSpawner(behaviour: (n: number) => Behaviour) {
  const spawned: { inits: number; terminated: boolean }[] = [];
  const spawn = (): TrialWorkerHandle => {
    const me = { inits: 0, terminated: false };
    spawned.push(me);
    let die!: (r: string) => void;
    const died = new Promise<string>((r) => (die = r));
    let stopRequested: (() => void) | undefined;
    return {
      async init() {
        me.inits++;
      },
      evaluate(t: TrialTask, report: ReportFn): Promise<WireTrialOutcome> {
        const b = behaviour(t.number);
        void report(30, 0.5);
        if (b === 'crash') {
          setTimeout(() => die('uncaught error: boom'), 5);
          return new Promise(() => undefined);
        }
        if (b === 'throw') return Promise.reject(new Error('bad config'));
        if (b === 'hang' || b === 'slow-stop') {
          return new Promise((resolve) => {
            stopRequested = () =>
              b === 'hang'
                ? undefined
                : resolve({ result: { state: 'PRUNED', reason: 'aborted', rungs: [] } });
          });
        }
        return new Promise((resolve) =>
          setTimeout(
            () =>
              resolve({
                result: { state: 'COMPLETE', value: t.number, rungs: [] },
                pred: new Float64Array([t.number]),
              }),
            5,
          ),
        );
      },
      stop() {
        stopRequested?.();
      },
      terminate() {
        me.terminated = true;
      },
      died,
    };
  };
  return { spawn, spawned };
}

describe('createTrialPool', () => {
  it('sizes cores − 1, at least 1', () => {
    expect(defaultPoolSize(8)).toBe(7);
    expect(defaultPoolSize(2)).toBe(1);
    expect(defaultPoolSize(1)).toBe(1);
    expect(defaultPoolSize(undefined)).toBe(1);
  });

  it('runs trials on at most `size` workers, sends the data once per worker, closes idle workers', async () => {
    const f = fakeSpawner(() => 'ok');
    const pool = createTrialPool({ size: 2, spawn: f.spawn });
    await pool.init(data, ctx);
    const outs = await Promise.all([0, 1, 2, 3, 4].map((n) => pool.evaluate(task(n), {})));
    expect(outs.map((o) => o.result.value)).toEqual([0, 1, 2, 3, 4]);
    expect(f.spawned).toHaveLength(2);
    expect(f.spawned.every((w) => w.inits === 1)).toBe(true);
    await pool.close();
    expect(f.spawned.every((w) => w.terminated)).toBe(true);
  });

  it('a crashed worker fails only its trial, is replaced, and the rest go on', async () => {
    const f = fakeSpawner((n) => (n === 1 ? 'crash' : n === 3 ? 'throw' : 'ok'));
    const pool = createTrialPool({ size: 1, spawn: f.spawn });
    await pool.init(data, ctx);
    const outs = await Promise.all([0, 1, 2, 3, 4].map((n) => pool.evaluate(task(n), {})));
    expect(outs.map((o) => o.result.state)).toEqual(['COMPLETE', 'FAILED', 'COMPLETE', 'FAILED', 'COMPLETE']);
    expect(outs[1].result).toMatchObject({ reason: 'error', error: 'worker crashed: uncaught error: boom' });
    expect(outs[1].result.rungs).toEqual([{ budget: 30, value: 0.5, decision: 'continue' }]);
    expect(outs[3].result).toMatchObject({ reason: 'error', error: 'bad config' });
    expect(f.spawned).toHaveLength(2);
    expect(pool.stats).toMatchObject({ spawned: 2, crashed: 1 });
    await pool.close();
  });

  it('stop: a worker that does not answer within the grace period is terminated', async () => {
    const f = fakeSpawner((n) => (n === 0 ? 'hang' : 'slow-stop'));
    const pool = createTrialPool({ size: 2, spawn: f.spawn, stopGraceMs: 100 });
    await pool.init(data, ctx);
    const ctrl = new AbortController();
    const running = [0, 1].map((n) => pool.evaluate(task(n), { signal: ctrl.signal }));
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    ctrl.abort();
    const outs = await Promise.all(running);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(outs.map((o) => [o.result.state, o.result.reason])).toEqual([
      ['PRUNED', 'aborted'],
      ['PRUNED', 'aborted'],
    ]);
    expect(f.spawned[0].terminated).toBe(true); // hung: terminated
    expect(f.spawned[1].terminated).toBe(false); // answered the stop
    await pool.close();
  });

  it('kill() fails the trial as crashed and replaces the worker', async () => {
    const f = fakeSpawner((n) => (n === 0 ? 'hang' : 'ok'));
    const pool = createTrialPool({ size: 1, spawn: f.spawn });
    await pool.init(data, ctx);
    const a = pool.evaluate(task(0), {});
    const b = pool.evaluate(task(1), {});
    await new Promise((r) => setTimeout(r, 10));
    expect(pool.kill('trial-0', 'stuck')).toBe(true);
    expect((await a).result).toMatchObject({ state: 'FAILED', error: 'worker crashed: stuck' });
    expect((await b).result.state).toBe('COMPLETE');
    expect(f.spawned).toHaveLength(2);
    await pool.close();
  });
});

describe('worker start-up under a clock (a time-budgeted search)', () => {
  /** Workers whose start-up (init) takes `startMs` and whose trials take `trialMs`; logs the order. */
  function timedSpawner(startMs: number, trialMs: number) {
    const log: string[] = [];
    let k = 0;
    const spawn = (): TrialWorkerHandle => {
      const me = k++;
      log.push(`spawn ${me}`);
      return {
        init: () => new Promise<void>((r) => setTimeout(() => (log.push(`ready ${me}`), r()), startMs)),
        evaluate: (t: TrialTask) =>
          new Promise<WireTrialOutcome>((r) => {
            log.push(`trial ${t.number} on ${me}`);
            setTimeout(() => r({ result: { state: 'COMPLETE', value: t.number, rungs: [] } }), trialMs);
          }),
        stop: () => undefined,
        terminate: () => undefined,
        died: new Promise<string>(() => undefined),
      };
    };
    return { spawn, log };
  }

  it('starts one worker at a time, a second only when its start-up fits in the trial’s time left', async () => {
    // start-up 60 ms; trial 1 has 1 s left once worker 0 is ready: 2 × 60 ms fits, worker 1 starts
    const f = timedSpawner(60, 30);
    const pool = createTrialPool({ size: 2, spawn: f.spawn });
    await pool.init(data, ctx);
    const outs = await Promise.all([0, 1].map((n) => pool.evaluate({ ...task(n), timeLimitMs: 1000 }, {})));
    expect(outs.map((o) => o.result.state)).toEqual(['COMPLETE', 'COMPLETE']);
    // not both spawned at once: worker 1 after worker 0 was ready
    expect(f.log.slice(0, 2)).toEqual(['spawn 0', 'ready 0']);
    expect(f.log.indexOf('spawn 1')).toBeGreaterThan(f.log.indexOf('ready 0'));
    expect(f.log).toContain('trial 1 on 1');
    expect(pool.stats.startupMs).toHaveLength(2);
    expect(pool.stats.startupMs[0]).toBeGreaterThanOrEqual(50);
    await pool.close();
  });

  it('does not start a worker whose start-up does not fit: the trial waits for the busy one', async () => {
    // start-up 100 ms; trial 1's limit 250 ms: once worker 0 is ready ~150 ms are left < 2 × 100
    const f = timedSpawner(100, 30);
    const pool = createTrialPool({ size: 2, spawn: f.spawn });
    await pool.init(data, ctx);
    const outs = await Promise.all([0, 1].map((n) => pool.evaluate({ ...task(n), timeLimitMs: 250 }, {})));
    expect(outs.map((o) => o.result.state)).toEqual(['COMPLETE', 'COMPLETE']);
    expect(f.log).toEqual(['spawn 0', 'ready 0', 'trial 0 on 0', 'trial 1 on 0']);
    expect(pool.stats.spawned).toBe(1);
    await pool.close();
  });

  it('without a clock (a trial-count search) starts its workers at once, as before', async () => {
    const f = timedSpawner(60, 30);
    const pool = createTrialPool({ size: 2, spawn: f.spawn });
    await pool.init(data, ctx);
    await Promise.all([0, 1].map((n) => pool.evaluate(task(n), {})));
    expect(f.log.slice(0, 2)).toEqual(['spawn 0', 'spawn 1']);
    await pool.close();
  });
});
