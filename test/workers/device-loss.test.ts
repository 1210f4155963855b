import { describe, expect, it } from 'vitest';
import { watchDeviceLoss } from '../../workers/device-loss.ts';

describe('watchDeviceLoss', () => {
  it('raises a plain message with the reason when the GPU device is lost', async () => {
    let lose!: (info: { reason: string; message: string }) => void;
    const lost = new Promise<{ reason: string; message: string }>((r) => (lose = r));
    const raised: string[] = [];
    expect(watchDeviceLoss({ device: { lost } }, (m) => raised.push(m))).toBe(true);
    await Promise.resolve();
    expect(raised).toEqual([]); // nothing before the loss
    lose({ reason: 'unknown', message: 'GPU process exited' });
    await lost;
    await new Promise((r) => setTimeout(r, 0));
    expect(raised).toEqual(['GPU device lost (unknown: GPU process exited)']);
  });

  it('watches nothing on a backend without a GPU device (WASM, CPU)', () => {
    const raised: string[] = [];
    expect(watchDeviceLoss({}, (m) => raised.push(m))).toBe(false);
    expect(watchDeviceLoss(null, (m) => raised.push(m))).toBe(false);
    expect(watchDeviceLoss({ device: {} }, (m) => raised.push(m))).toBe(false);
    expect(raised).toEqual([]);
  });
});
