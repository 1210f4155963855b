/**
 * Proposing relationships between tables from column names plus value overlap, and time indexes from date
 * columns. A link child.col → parent.key is proposed when the names say so (`purchases.customer_id` and
 * `customers.id`, or the same `customer_id` on both sides), the parent's key is (nearly) unique and most
 * child values are found in it. Many-to-many pairs and links that would close a cycle are refused with the
 * reason. Deterministic: tables and columns are visited in the order given.
 */
import type { Column, Table } from '../data/table.ts';
import { indexKeys, matchCodes, matchRate, percent, type KeyIndex } from './keys.ts';
import { linkText } from './build.ts';
import { timeValues } from './time.ts';
import type { Relationship, Tables } from './types.ts';

export interface ProposedRelationship extends Relationship {
  readonly matchRate: number;
  readonly matched: number;
  readonly rows: number;
  /** Rows of the parent repeating a key already seen (the "one" side should be unique). */
  readonly parentDuplicateRows: number;
  readonly parentDuplicateExamples: readonly string[];
  /** "purchases.customer_id → customers.id, 98% of values match". */
  readonly text: string;
}

export interface RefusedRelationship extends Relationship {
  readonly reason: 'many-to-many' | 'cycle' | 'low-match';
  readonly text: string;
}

export interface TimeIndexProposal {
  readonly table: string;
  /** The proposed time index (a date column), or null when the table has none. */
  readonly column: string | null;
  /** Every column that reads as dates. */
  readonly candidates: readonly string[];
}

export interface RelationshipProposals {
  readonly relationships: readonly ProposedRelationship[];
  readonly refused: readonly RefusedRelationship[];
  readonly timeIndexes: readonly TimeIndexProposal[];
}

/** A child link is kept when at least this share of its keys is found in the parent. */
export const MIN_MATCH_RATE = 0.5;
/** The "one" side may repeat this share of its rows and still be proposed (flagged); beyond: many-to-many. */
const MAX_PARENT_DUPLICATE_SHARE = 0.05;

function norm(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function singular(name: string): string {
  const n = norm(name);
  if (n.endsWith('ies')) return n.slice(0, -3) + 'y';
  if (n.endsWith('ses') || n.endsWith('xes')) return n.slice(0, -2);
  if (n.endsWith('s') && !n.endsWith('ss')) return n.slice(0, -1);
  return n;
}

const KEY_WORDS = ['id', 'key', 'code', 'no', 'number'];

function looksLikeKeyName(name: string): boolean {
  const n = norm(name);
  return KEY_WORDS.some((w) => n === w || n.endsWith(w));
}

/** Does child column `c` name parent table `p`'s key `k`? */
function namesMatch(childCol: string, parentTable: string, parentCol: string): boolean {
  const c = norm(childCol);
  const k = norm(parentCol);
  const p = norm(parentTable);
  const ps = singular(parentTable);
  if (c === k && looksLikeKeyName(parentCol) && k !== 'id' && k !== 'key') return true;
  if (k === 'id' || k === 'key' || k === 'code') {
    for (const stem of [p, ps]) if (c === stem + k || c === stem) return true;
  }
  // customers.customer_id ← purchases.customer
  if (k === ps + 'id' && (c === ps || c === k)) return true;
  return false;
}

function keyable(col: Column): boolean {
  if (col.storage === 'dict') return col.type !== 'text';
  if (col.storage === 'float64') return col.type === 'integer' || col.type === 'id';
  return false;
}

export interface ProposeOptions {
  /**
   * The target table: its rows may repeat a key (e.g. one row per customer and prediction date) when it
   * is the parent of a link, since aggregations give each target row its own value and never multiply rows.
   */
  readonly target?: string;
}

export function proposeRelationships(tables: Tables, options: ProposeOptions = {}): RelationshipProposals {
  const names = Object.keys(tables);
  const keyIndexCache = new Map<string, KeyIndex>();
  const keyIndex = (t: string, col: Column): KeyIndex => {
    const id = JSON.stringify([t, col.name]);
    let k = keyIndexCache.get(id);
    if (!k) {
      k = indexKeys(col);
      keyIndexCache.set(id, k);
    }
    return k;
  };
  interface Candidate {
    readonly p: ProposedRelationship;
    readonly childUnique: boolean;
    readonly targetSide: boolean;
  }
  const candidates: Candidate[] = [];
  const refused: RefusedRelationship[] = [];
  for (const parentName of names) {
    const parent = tables[parentName];
    for (const pcol of parent.columns) {
      if (!keyable(pcol)) continue;
      for (const childName of names) {
        if (childName === parentName) continue;
        const child = tables[childName];
        for (const ccol of child.columns) {
          if (!keyable(ccol) || !namesMatch(ccol.name, parentName, pcol.name)) continue;
          const pk = keyIndex(parentName, pcol);
          const ck = keyIndex(childName, ccol);
          const rel: Relationship = {
            child: childName,
            childColumn: ccol.name,
            parent: parentName,
            parentColumn: pcol.name,
          };
          const parentDupShare = pk.nonMissing ? pk.duplicateRows / pk.nonMissing : 0;
          const targetSide = parentName === options.target;
          if (parentDupShare > MAX_PARENT_DUPLICATE_SHARE && !targetSide) {
            if (ck.duplicateRows > 0) {
              refused.push({
                ...rel,
                reason: 'many-to-many',
                text:
                  `${linkText(rel)} refused: many-to-many — keys repeat on both sides (${pk.duplicateRows} repeated ${parentName} rows, ` +
                  `${ck.duplicateRows} repeated ${childName} rows), so a row would meet several rows; link both to a table where the key is unique`,
              });
            }
            continue; // else the link goes the other way (the child column is the unique one)
          }
          const m = matchRate(ck.keyCodes, matchCodes(ck.keyCodes, pk.keyCodes));
          if (m.rate < MIN_MATCH_RATE) {
            refused.push({
              ...rel,
              reason: 'low-match',
              text: `${linkText(rel)} not proposed: only ${percent(m.rate)} of values match (${m.matched} of ${m.rows} rows)`,
            });
            continue;
          }
          let text = `${linkText(rel)}, ${percent(m.rate)} of values match`;
          if (pk.duplicateRows > 0 && targetSide) {
            text += ` (the target's rows repeat keys: each row gets its own aggregates at its own cutoff)`;
          } else if (pk.duplicateRows > 0) {
            text += ` — but ${parentName}.${pcol.name} repeats ${pk.duplicateRows} keys (e.g. ${pk.duplicateExamples.map((k) => `'${k}'`).join(', ')}): remove the duplicates before joining`;
          }
          candidates.push({
            p: {
              ...rel,
              matchRate: m.rate,
              matched: m.matched,
              rows: m.rows,
              parentDuplicateRows: pk.duplicateRows,
              parentDuplicateExamples: pk.duplicateExamples,
              text,
            },
            childUnique: ck.duplicateRows === 0,
            targetSide,
          });
        }
      }
    }
  }
  // Strongest first (unique parent, best match), ties in the order found; then refuse what closes a cycle.
  const ranked = candidates
    .map((c, i) => ({ c, i }))
    .sort(
      (a, b) =>
        Number(a.c.p.parentDuplicateRows > 0 && !a.c.targetSide) -
          Number(b.c.p.parentDuplicateRows > 0 && !b.c.targetSide) ||
        Number(a.c.childUnique) - Number(b.c.childUnique) ||
        b.c.p.matchRate - a.c.p.matchRate ||
        a.i - b.i,
    )
    .map((x) => x.c.p);
  const accepted: ProposedRelationship[] = [];
  for (const p of ranked) {
    const path = pathBetween(accepted, p.parent, p.child);
    if (path) {
      refused.push({
        child: p.child,
        childColumn: p.childColumn,
        parent: p.parent,
        parentColumn: p.parentColumn,
        reason: 'cycle',
        text: `${linkText(p)} refused: it would close a cycle (${[...path, p.parent].join(' → ')}); features follow links one way only`,
      });
      continue;
    }
    accepted.push(p);
  }
  // a many-to-many refusal of a pair whose other direction was accepted (into the target) says nothing
  const kept = refused.filter(
    (r) =>
      r.reason !== 'many-to-many' ||
      !accepted.some(
        (a) =>
          a.child === r.parent &&
          a.childColumn === r.parentColumn &&
          a.parent === r.child &&
          a.parentColumn === r.childColumn,
      ),
  );
  return {
    relationships: accepted,
    refused: kept,
    timeIndexes: names.map((n) => proposeTimeIndex(n, tables[n])),
  };
}

/** A path of links from `from` to `to` (table names), or null. */
function pathBetween(links: readonly Relationship[], from: string, to: string): string[] | null {
  const seen = new Set<string>([from]);
  const queue: string[][] = [[from]];
  while (queue.length) {
    const path = queue.shift()!;
    const at = path[path.length - 1];
    if (at === to) return path;
    for (const l of links) {
      if (l.child === at && !seen.has(l.parent)) {
        seen.add(l.parent);
        queue.push([...path, l.parent]);
      }
    }
  }
  return null;
}

const TIME_WORDS = ['timestamp', 'datetime', 'date', 'time', 'created', 'at', 'day', 'when'];

export function proposeTimeIndex(tableName: string, table: Table): TimeIndexProposal {
  const candidates: string[] = [];
  for (const col of table.columns) {
    if (col.storage === 'datetime') candidates.push(col.name);
    else if (
      col.storage === 'dict' &&
      col.type !== 'text' &&
      col.dictionary.length > 0 &&
      /\d/.test(col.dictionary[0])
    ) {
      try {
        timeValues(table, tableName, col.name);
        candidates.push(col.name);
      } catch {
        // not dates
      }
    }
  }
  const score = (name: string): number => {
    const n = name.toLowerCase();
    const i = TIME_WORDS.findIndex((w) => n === w || n.endsWith('_' + w) || n.startsWith(w));
    return i < 0 ? TIME_WORDS.length : i;
  };
  let best: string | null = null;
  for (const c of candidates) if (best === null || score(c) < score(best)) best = c;
  return { table: tableName, column: best, candidates };
}
