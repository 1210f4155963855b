import { gbdtEstimator, randomForestEstimator } from '../../../src/core/models/index.ts';
import { runEstimatorSuite } from './estimator-suite.ts';

runEstimatorSuite('gbdt', () => ({
  estimator: gbdtEstimator,
  config: { rounds: 30 },
  earlyStopping: {
    config: { rounds: 300, learningRate: 0.5, earlyStoppingRounds: 4 },
    patience: 4,
    max: 300,
  },
}));
runEstimatorSuite('gbdt (lossguide, subsampled)', () => ({
  estimator: gbdtEstimator,
  config: { rounds: 30, growPolicy: 'lossguide', maxLeaves: 8, subsample: 0.8, colsampleByTree: 0.8 },
}));
runEstimatorSuite('random_forest', () => ({ estimator: randomForestEstimator, config: { rounds: 25 } }));
runEstimatorSuite('random_forest (extra trees)', () => ({
  estimator: randomForestEstimator,
  config: { rounds: 25, extraTrees: true, minSamplesLeaf: 2 },
}));
