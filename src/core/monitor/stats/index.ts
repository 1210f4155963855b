/** Statistics of the drift report (checked against SciPy in test/core/monitor/stats.test.ts). */
export {
  ks2samp,
  ksFromStatistic,
  ksStatisticSorted,
  kolmogorovSf,
  KS_EXACT_MAX_N,
  type KsResult,
} from './ks.ts';
export { chi2Contingency, type Chi2Result } from './chi2.ts';
export { wasserstein1, jensenShannon, psi, stdDev } from './distances.ts';
export { proportionZTest, type ZTestResult } from './ztest.ts';
export { chi2Sf, normalSf, gammaP, gammaQ, logGamma } from './special.ts';
