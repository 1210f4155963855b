/**
 * Asynchronous successive halving (ASHA; Li et al., "A System for Massively Parallel Hyperparameter
 * Tuning", MLSys 2020), in the stop-or-continue form of Optuna's `SuccessiveHalvingPruner`: rungs sit at
 * resource r_k = minResource · η^k (boosting rounds, trees or epochs); a trial reaching rung k continues
 * only if its value is among the top ⌊n/η⌋ (at least the best) of the n values recorded at that rung so
 * far, itself included; otherwise it is pruned. Values are losses (lower is better).
 * Pure logic: the study records rung values and the runner asks for a decision at each rung.
 */

export interface HalvingConfig {
  /** Resource at the first rung (> 0). */
  readonly minResource: number;
  /** Resource a full trial uses; no rung at or beyond it. */
  readonly maxResource: number;
  /** η, default 3: promote the top 1/η. */
  readonly reductionFactor?: number;
  /** No pruning at a rung until this many values (itself included) are recorded there. Default 3. */
  readonly minPeers?: number;
}

export type HalvingDecision = 'continue' | 'prune';

/** Rung resources r_k = min · η^k below max, e.g. min 30, η 3, max 1500 → [30, 90, 270, 810]. */
export function rungBudgets(cfg: HalvingConfig): number[] {
  const eta = cfg.reductionFactor ?? 3;
  if (!(cfg.minResource > 0) || !(eta > 1)) throw new Error('halving needs minResource > 0 and η > 1');
  const out: number[] = [];
  for (let r = cfg.minResource; r < cfg.maxResource; r *= eta) out.push(Math.round(r));
  return out;
}

/**
 * Decision at a rung for a trial with loss `value`, given the losses `peers` of other trials recorded
 * at the same rung (same family). NaN or infinite values are pruned once enough peers exist.
 */
export function halvingDecision(
  value: number,
  peers: readonly number[],
  cfg: Pick<HalvingConfig, 'reductionFactor' | 'minPeers'> = {},
): HalvingDecision {
  const eta = cfg.reductionFactor ?? 3;
  const minPeers = cfg.minPeers ?? 3;
  const n = peers.length + 1;
  if (n < minPeers) return 'continue';
  if (!Number.isFinite(value)) return 'prune';
  const all = [...peers.filter((v) => Number.isFinite(v)), value].sort((a, b) => a - b);
  const k = Math.max(0, Math.floor(n / eta) - 1);
  const threshold = all[Math.min(k, all.length - 1)];
  return value <= threshold ? 'continue' : 'prune';
}

/**
 * Decision at a row-subsample rung (subsample.ts): 'continue' = promoted to the next, larger
 * subsample (or to all rows). Unlike a round rung, a trial is promoted only when enough values are
 * recorded there (`minPeers`, itself included) and it is among the top ⌊n/η⌋: while there are too
 * few peers to judge, trials stay cheap (they end COMPLETE at that level, not discarded).
 */
export function promotionDecision(
  value: number,
  peers: readonly number[],
  cfg: Pick<HalvingConfig, 'reductionFactor' | 'minPeers'> = {},
): HalvingDecision {
  const minPeers = cfg.minPeers ?? 3;
  if (peers.length + 1 < Math.max(2, minPeers) || !Number.isFinite(value)) return 'prune';
  return halvingDecision(value, peers, cfg);
}
