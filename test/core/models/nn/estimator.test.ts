import { beforeAll } from 'vitest';
import { selectBackend } from '../../../../src/core/models/nn/backend.ts';
import { linearEstimator, mlpEstimator } from '../../../../src/core/models/nn/estimator.ts';
import { ensureFamiliesRegistered } from '../../../../src/core/train/families.ts';
import { runEstimatorSuite } from '../estimator-suite.ts';

beforeAll(async () => {
  await selectBackend('auto');
  ensureFamiliesRegistered();
});

runEstimatorSuite('linear', () => ({
  estimator: linearEstimator,
  config: { epochs: 40, learningRate: 0.02 },
}));
runEstimatorSuite('mlp', () => ({
  estimator: mlpEstimator,
  config: { epochs: 25, hidden: [16], dropout: 0.1 },
  badConfig: { dropout: 2 },
}));
runEstimatorSuite('mlp (batch normalisation)', () => ({
  estimator: mlpEstimator,
  config: { epochs: 25, hidden: [16, 8], dropout: 0.1, batchNorm: true },
  badConfig: { batchNorm: 'yes' },
}));
runEstimatorSuite('mlp (embeddings for the categorical column)', () => ({
  estimator: mlpEstimator,
  config: { epochs: 25, hidden: [16], dropout: 0.1, embeddings: true },
  badConfig: { embeddingDim: 0 },
}));
runEstimatorSuite('mlp (embeddings and batch normalisation)', () => ({
  estimator: mlpEstimator,
  config: { epochs: 25, hidden: [16], dropout: 0, embeddings: true, embeddingDim: 3, batchNorm: true },
  badConfig: { embeddings: 1 },
}));
