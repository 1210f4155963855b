/**
 * Mount an ECharts chart on an element, for the chart components: ECharts (a lazily loaded chunk) is
 * imported on first use, each chart starts in its own task (a screen of charts never blocks the page
 * at once), follows the element's size, and is disposed by the returned cleanup.
 *
 * Charts start one per task, each after the next frame: a view that mounts several charts (a search's
 * results) first gets laid out and painted, then each chart's init (which measures the page) and first
 * draw runs alone, instead of one long task of layout plus every chart. A chart's init and its first
 * setOption (the caller's, when `onChart` gives it the chart) are two such slots, and before the first
 * chart of the page the fonts ECharts measures are warmed in one of their own.
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

let fontsWarmed = false;

/**
 * Measures a wide (CJK) character in the fonts ECharts draws with, once, in a task of its own: ECharts
 * measures '国' for every font it meets (its line height), and the browser's first look-up of a
 * fallback font for that character takes tens of milliseconds — else spent inside the first chart's
 * first draw, the longest task of a screen of charts (issue 18: the Explain tab).
 */
function warmFonts(): void {
  const ctx = document.createElement('canvas').getContext('2d');
  if (!ctx) return;
  for (const font of ['12px sans-serif', 'bold 12px sans-serif', '14px sans-serif', 'bold 14px sans-serif']) {
    ctx.font = font;
    ctx.measureText('国a');
  }
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
    if (!fontsWarmed) {
      fontsWarmed = true;
      schedule(warmFonts);
    }
    // the chart's set-up, then (in a task of its own) its first draw: the caller's setOption
    schedule(() => {
      if (disposed) return;
      c = init(node, undefined, { renderer: 'canvas' });
      const inst = c;
      ro = new ResizeObserver(() => inst.resize());
      ro.observe(node);
    });
    schedule(() => {
      if (!disposed && c) onChart(c);
    });
  }, onFail);
  return () => {
    disposed = true;
    ro?.disconnect();
    c?.dispose();
    onChart(undefined);
  };
}
