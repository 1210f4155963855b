/** Keeps the k most frequent keys seen, most frequent first; ties keep the key offered first. */
export class TopK {
  readonly keys: number[] = [];
  readonly counts: number[] = [];
  constructor(private readonly k: number) {}

  offer(key: number, count: number): void {
    const { keys, counts, k } = this;
    const len = counts.length;
    if (len === k && count <= counts[len - 1]) return;
    let pos = len;
    while (pos > 0 && counts[pos - 1] < count) pos--;
    keys.splice(pos, 0, key);
    counts.splice(pos, 0, count);
    if (counts.length > k) {
      keys.pop();
      counts.pop();
    }
  }
}
