/**
 * Mount an ECharts chart on an element, for the chart components: ECharts (a lazily loaded chunk) is
 * imported on first use, each chart starts in its own task (a screen of charts never blocks the page
 * at once), follows the element's size, and is disposed by the returned cleanup.
 */
import type { EChartsType } from './echarts.ts';

type Init = (node: HTMLElement, theme: undefined, opts: { renderer: 'canvas' }) => EChartsType;

export function mountChart(
  node: HTMLElement,
  load: () => Promise<{ init: Init }>,
  onChart: (chart: EChartsType | undefined) => void,
  onFail: (error: unknown) => void,
): () => void {
  let disposed = false;
  let ro: ResizeObserver | undefined;
  let c: EChartsType | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  load().then(({ init }) => {
    timer = setTimeout(() => {
      if (disposed) return;
      c = init(node, undefined, { renderer: 'canvas' });
      const inst = c;
      ro = new ResizeObserver(() => inst.resize());
      ro.observe(node);
      onChart(c);
    }, 0);
  }, onFail);
  return () => {
    disposed = true;
    clearTimeout(timer);
    ro?.disconnect();
    c?.dispose();
    onChart(undefined);
  };
}
