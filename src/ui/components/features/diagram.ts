/**
 * Layout of the relationship diagram: tables as boxes in rows (a parent above its children), one arrow
 * per link from the child's box to the parent's. Pure, for the SVG in RelationshipDiagram.svelte.
 */
export interface DiagramTable {
  readonly name: string;
}
export interface DiagramLink {
  readonly child: string;
  readonly parent: string;
}
export interface Box {
  readonly name: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}
export interface Arrow {
  /** Index of the link. */
  readonly index: number;
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  /** Where the arrow's number badge goes. */
  readonly mx: number;
  readonly my: number;
}
export interface Diagram {
  readonly width: number;
  readonly height: number;
  readonly boxes: readonly Box[];
  readonly arrows: readonly Arrow[];
}

export const BOX_W = 170;
export const BOX_H = 46;
const GAP_X = 30;
const GAP_Y = 80;
const PAD = 10;

/** Row of each table: 0 without parents, else one below its lowest parent (cycles cut at n rows). */
export function ranks(tables: readonly DiagramTable[], links: readonly DiagramLink[]): Map<string, number> {
  const names = new Set(tables.map((t) => t.name));
  const rank = new Map<string, number>(tables.map((t) => [t.name, 0]));
  for (let pass = 0; pass < tables.length; pass++) {
    let changed = false;
    for (const l of links) {
      if (!names.has(l.child) || !names.has(l.parent) || l.child === l.parent) continue;
      const want = rank.get(l.parent)! + 1;
      if (want > rank.get(l.child)! && want < tables.length) {
        rank.set(l.child, want);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return rank;
}

export function layout(tables: readonly DiagramTable[], links: readonly DiagramLink[]): Diagram {
  const rank = ranks(tables, links);
  const rows: string[][] = [];
  for (const t of tables) (rows[rank.get(t.name)!] ??= []).push(t.name);
  const filled = rows.filter((r) => r && r.length);
  const widest = Math.max(1, ...filled.map((r) => r.length));
  const width = PAD * 2 + widest * BOX_W + (widest - 1) * GAP_X;
  const boxes: Box[] = [];
  filled.forEach((row, ri) => {
    const rowW = row.length * BOX_W + (row.length - 1) * GAP_X;
    const x0 = (width - rowW) / 2;
    row.forEach((name, i) =>
      boxes.push({ name, x: x0 + i * (BOX_W + GAP_X), y: PAD + ri * (BOX_H + GAP_Y), w: BOX_W, h: BOX_H }),
    );
  });
  const at = new Map(boxes.map((b) => [b.name, b]));
  const arrows: Arrow[] = [];
  // Spread the ends of several arrows leaving (or entering) the same box.
  const out = new Map<string, number>();
  const into = new Map<string, number>();
  const outCount = new Map<string, number>();
  const inCount = new Map<string, number>();
  for (const l of links) {
    outCount.set(l.child, (outCount.get(l.child) ?? 0) + 1);
    inCount.set(l.parent, (inCount.get(l.parent) ?? 0) + 1);
  }
  const spread = (b: Box, k: number, n: number): number => b.x + (b.w * (k + 1)) / (n + 1);
  links.forEach((l, index) => {
    const c = at.get(l.child);
    const p = at.get(l.parent);
    if (!c || !p) return;
    const ko = out.get(l.child) ?? 0;
    out.set(l.child, ko + 1);
    const ki = into.get(l.parent) ?? 0;
    into.set(l.parent, ki + 1);
    const x1 = spread(c, ko, outCount.get(l.child)!);
    const x2 = spread(p, ki, inCount.get(l.parent)!);
    const below = c.y > p.y;
    const y1 = below ? c.y : c.y + c.h;
    const y2 = below ? p.y + p.h : p.y;
    arrows.push({ index, x1, y1, x2, y2, mx: (x1 + x2) / 2, my: (y1 + y2) / 2 });
  });
  const height = PAD * 2 + filled.length * BOX_H + (filled.length - 1) * GAP_Y;
  return { width, height, boxes, arrows };
}
