import { tick } from 'svelte';

/**
 * Keyboard users keep their place: a control that is disabled while its change is applied (a
 * re-profile) loses focus to the page; give it back once the change is done, unless the user has
 * moved on to something else meanwhile.
 */
export function keepFocus(el: HTMLElement, done: Promise<unknown>): void {
  void done.finally(async () => {
    await tick();
    const now = document.activeElement;
    if (el.isConnected && (now === null || now === document.body)) el.focus();
  });
}
