/**
 * Keyboard access to tables that scroll sideways: on narrow screens app.css lets a table that cannot
 * fit scroll inside itself. A scrolling box with nothing focusable inside cannot be scrolled by
 * keyboard, so such a table gets `tabindex="0"` (arrow keys then scroll it) while it overflows and
 * loses it again when it fits. Runs over the whole app (any screen's tables), after layout changes.
 */
const MARK = 'data-scroll-focus';
const FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';

function update(root: HTMLElement): void {
  for (const t of Array.from(root.querySelectorAll<HTMLTableElement>('table'))) {
    const scrolls = getComputedStyle(t).overflowX !== 'visible' && t.scrollWidth > t.clientWidth + 1;
    const marked = t.hasAttribute(MARK);
    if (scrolls && !marked && !t.querySelector(FOCUSABLE)) {
      t.setAttribute('tabindex', '0');
      t.setAttribute(MARK, '');
    } else if (!scrolls && marked) {
      t.removeAttribute('tabindex');
      t.removeAttribute(MARK);
    }
  }
}

/**
 * Watch `root` (resizes and DOM changes, at most once per frame); returns the cleanup. The check runs
 * in a task after the frame is drawn, when the browser's own layout is done: run in the frame callback,
 * its reads of widths forced a layout of the new DOM first (20–80 ms when a big dataset is shown).
 */
export function scrollAccess(root: HTMLElement): () => void {
  let frame = 0;
  let task: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    if (!frame && task === undefined)
      frame = requestAnimationFrame(() => {
        frame = 0;
        task = setTimeout(() => {
          task = undefined;
          update(root);
        }, 0);
      });
  };
  const mo = new MutationObserver(schedule);
  mo.observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['hidden'] });
  const ro = new ResizeObserver(schedule);
  ro.observe(root);
  schedule();
  return () => {
    mo.disconnect();
    ro.disconnect();
    if (frame) cancelAnimationFrame(frame);
    if (task !== undefined) clearTimeout(task);
  };
}
