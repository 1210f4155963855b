/**
 * Mount an ECharts chart on an element, for the chart components: ECharts (a lazily loaded chunk) is
 * imported on first use, each chart starts in its own task (a screen of charts never blocks the page
 * at once), follows the element's size, and is disposed by the returned cleanup.
 *
 * Charts start one per task, each after the next frame: a view that mounts several charts (a search's
 * results) first gets laid out and painted, then each chart's init (which measures the page) and first
 * draw runs alone, instead of one long task of layout plus every chart.
 */
import type { EChartsType } from './echarts.ts';

type Init = (node: HTMLElement, theme: undefined, opts: { renderer: 'canvas' }) => EChartsType;

const queue: (() => void)[] = [];
let pumping = false;

/** After the next frame (or 100 ms, for a hidden page where frames do not come), in a task of its own. */
function nextSlot(run: () => void): void {
  let done = false;
  const go = () => {
    if (done) return;
    done = true;
    setTimeout(run, 0);
  };
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(go);
  setTimeout(go, 100);
}

function pump(): void {
  pumping = true;
  nextSlot(() => {
    queue.shift()?.();
    if (queue.length) pump();
    else pumping = false;
  });
}

function schedule(job: () => void): void {
  queue.push(job);
  if (!pumping) pump();
}

export function mountChart(
  node: HTMLElement,
  load: () => Promise<{ init: Init }>,
  onChart: (chart: EChartsType | undefined) => void,
  onFail: (error: unknown) => void,
): () => void {
  let disposed = false;
  let ro: ResizeObserver | undefined;
  let c: EChartsType | undefined;
  load().then(({ init }) => {
    schedule(() => {
      if (disposed) return;
      c = init(node, undefined, { renderer: 'canvas' });
      const inst = c;
      ro = new ResizeObserver(() => inst.resize());
      ro.observe(node);
      onChart(c);
    });
  }, onFail);
  return () => {
    disposed = true;
    ro?.disconnect();
    c?.dispose();
    onChart(undefined);
  };
}
