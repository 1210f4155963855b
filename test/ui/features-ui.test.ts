/**
 * The pure parts of the features panel: a link the user adds is refused exactly when it repeats a
 * link, reverses one, links a table to itself or closes a cycle (checked against a naive reference:
 * is there a directed cycle once it is added?); the diagram puts every parent above its children and
 * every arrow between the boxes of its two tables; features read in words.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeFeature, linkLabel, refuseLink } from '../../src/ui/state/features-text.ts';
import { layout, ranks } from '../../src/ui/components/features/diagram.ts';
import type { Relationship } from '../../src/core/features/index.ts';

const TABLES = ['a', 'b', 'c', 'd', 'e'];
const rel = (child: string, parent: string): Relationship => ({
  child,
  childColumn: `${parent}_id`,
  parent,
  parentColumn: 'id',
});

/** Naive reference: does the directed graph (child → parent) have a cycle? (DFS from every node) */
function hasCycle(links: readonly Relationship[]): boolean {
  const reach = (from: string, to: string, seen: Set<string>): boolean => {
    for (const l of links) {
      if (l.child !== from || seen.has(l.parent)) continue;
      if (l.parent === to) return true;
      seen.add(l.parent);
      if (reach(l.parent, to, seen)) return true;
    }
    return false;
  };
  return TABLES.some((t) => reach(t, t, new Set()));
}

const edge = fc.tuple(fc.constantFrom(...TABLES), fc.constantFrom(...TABLES));

/** An acyclic set of links built by adding only what the naive reference accepts. */
const acyclic = fc.array(edge, { maxLength: 8 }).map((pairs) => {
  const out: Relationship[] = [];
  for (const [c, p] of pairs) {
    if (c === p) continue;
    const next = [...out, rel(c, p)];
    if (!hasCycle(next) && !out.some((l) => l.child === c && l.parent === p)) out.push(rel(c, p));
  }
  return out;
});

describe('refuseLink', () => {
  it('refuses exactly the links that repeat one, link a table to itself or make a cycle', () => {
    fc.assert(
      fc.property(acyclic, edge, (links, [c, p]) => {
        const add = rel(c, p);
        const why = refuseLink(links, add);
        const repeats = links.some((l) => l.child === c && l.parent === p);
        const bad = c === p || repeats || hasCycle([...links, add]);
        expect(why !== null).toBe(bad);
        if (why) expect(why).toContain(`${c}.${p}_id → ${p}.id`);
      }),
    );
  });

  it('says why in words', () => {
    const links = [rel('purchases', 'customers'), rel('customers', 'regions')];
    expect(refuseLink(links, rel('regions', 'purchases'))).toBe(
      'regions.purchases_id → purchases.id refused: it would close a cycle (purchases → customers → regions → purchases); features follow links one way only',
    );
    expect(refuseLink(links, rel('customers', 'purchases'))).toMatch(/already points to customers/);
    expect(refuseLink(links, rel('a', 'a'))).toMatch(/links a table to itself/);
  });
});

describe('diagram layout', () => {
  it('puts every parent in a row above its children and draws every arrow between its boxes', () => {
    fc.assert(
      fc.property(acyclic, (links) => {
        const tables = TABLES.map((name) => ({ name }));
        const r = ranks(tables, links);
        for (const l of links) expect(r.get(l.parent)!).toBeLessThan(r.get(l.child)!);
        const d = layout(tables, links);
        expect(d.boxes).toHaveLength(TABLES.length);
        expect(d.arrows).toHaveLength(links.length);
        for (const b of d.boxes) {
          expect(b.x).toBeGreaterThanOrEqual(0);
          expect(b.x + b.w).toBeLessThanOrEqual(d.width);
          expect(b.y + b.h).toBeLessThanOrEqual(d.height);
        }
        // no two boxes overlap
        for (const a of d.boxes)
          for (const b of d.boxes)
            if (a !== b)
              expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y).toBe(true);
        for (const a of d.arrows) {
          const l = links[a.index];
          const c = d.boxes.find((b) => b.name === l.child)!;
          const p = d.boxes.find((b) => b.name === l.parent)!;
          expect(a.x1).toBeGreaterThan(c.x);
          expect(a.x1).toBeLessThan(c.x + c.w);
          expect(a.y1).toBe(c.y);
          expect(a.x2).toBeGreaterThan(p.x);
          expect(a.x2).toBeLessThan(p.x + p.w);
          expect(a.y2).toBe(p.y + p.h);
        }
      }),
    );
  });
});

describe('words', () => {
  const r = {
    child: 'purchases',
    childColumn: 'customer_id',
    parent: 'customers',
    parentColumn: 'id',
  };
  it('describes aggregations, lookups and date parts', () => {
    const recipe = { target: 'customers', cutoff: { column: 'cutoff' } };
    expect(
      describeFeature(
        {
          kind: 'aggregate',
          name: 'x',
          relationship: r,
          aggregation: 'mean',
          column: 'amount',
          windowDays: 30,
        },
        recipe,
      ),
    ).toBe('mean of purchases.amount in the last 30 days before the cutoff, per customers.id');
    expect(
      describeFeature({ kind: 'aggregate', name: 'x', relationship: r, aggregation: 'count' }, recipe),
    ).toBe('number of rows of purchases before the cutoff, per customers.id');
    expect(
      describeFeature(
        { kind: 'aggregate', name: 'x', relationship: r, aggregation: 'count' },
        { target: 'c' },
      ),
    ).toBe('number of rows of purchases (all rows), per customers.id');
    expect(
      describeFeature(
        {
          kind: 'lookup',
          name: 'x',
          relationship: {
            child: 'purchases',
            childColumn: 'item_id',
            parent: 'items',
            parentColumn: 'item_id',
          },
          column: 'category',
        },
        recipe,
      ),
    ).toBe("items.category of the row's item_id");
    expect(describeFeature({ kind: 'date_part', name: 'x', column: 'cutoff', part: 'weekday' }, recipe)).toBe(
      'weekday of cutoff',
    );
  });

  it('labels a link with its match rate, never rounding a partial match up to 100%', () => {
    const link = { ...r, origin: 'proposed' as const, confirmed: false, text: '' };
    expect(linkLabel({ ...link, matchRate: 0.983 })).toBe('purchases.customer_id → customers.id · 98% match');
    expect(linkLabel({ ...link, matchRate: 0.9996 })).toBe(
      'purchases.customer_id → customers.id · 100% match',
    );
    expect(linkLabel({ ...link, matchRate: 0.994 })).toBe('purchases.customer_id → customers.id · 99% match');
    expect(linkLabel({ ...link, origin: 'added', matchRate: null })).toBe(
      'purchases.customer_id → customers.id · added by you',
    );
  });
});
