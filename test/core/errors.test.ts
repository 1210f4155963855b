/**
 * One error base with a kind, and one mapping to what the user reads (src/core/errors.ts), used by
 * the workers and the CLI: expected errors keep their words and say where; only a bug is "unexpected".
 */
import { describe, expect, it } from 'vitest';
import { describeError, StudioError } from '../../src/core/errors.ts';
import { IngestError } from '../../src/core/ingest/types.ts';
import { BundleError } from '../../src/core/export/bundle-error.ts';
import { TrainingError } from '../../src/core/train/target.ts';
import { ModelConfigError } from '../../src/core/models/types.ts';
import { PipelineError } from '../../src/core/pipeline/types.ts';
import { StoreError } from '../../src/core/tracking/errors.ts';
import { SearchError } from '../../src/core/search/runner.ts';
import { SearchSpaceError } from '../../src/core/search/space.ts';
import { MissingColumnsError } from '../../src/core/export/score.ts';
import { ReproduceCancelledError, ReproduceInputError } from '../../src/core/export/reproduce.ts';
import { CliError } from '../../src/cli/errors.ts';
import { OnnxExportError } from '../../src/core/export/onnx/builder.ts';
import { PythonExportError } from '../../src/core/export/python/index.ts';
import { XgboostExportError } from '../../src/core/explain/xgboost-json.ts';
import { MonitorInputError } from '../../src/core/monitor/monitor-batch.ts';
import { datasetFile } from '../helpers/paths.ts';
import { cli } from '../helpers/cli.ts';

describe('describeError', () => {
  it('gives every expected error its kind and its own words, with where for ingest errors', () => {
    const cases: [unknown, string, string][] = [
      [
        new IngestError('unclosed-quote', 'a quote is never closed', { file: 'a.csv', row: 3, column: 2 }),
        'data',
        'a quote is never closed (a.csv, row 3, column 2)',
      ],
      [new IngestError('cancelled', 'loading was cancelled'), 'cancelled', 'loading was cancelled'],
      [new BundleError('manifest.json: not JSON'), 'bundle', 'manifest.json: not JSON'],
      [new TrainingError('the target has one class'), 'training', 'the target has one class'],
      [new ModelConfigError("'rounds' must be ≥ 0"), 'input', "'rounds' must be ≥ 0"],
      [new PipelineError('column x is not numeric', { column: 'x' }), 'data', 'column x is not numeric'],
      [
        new StoreError('RUN_FINISHED', 'cannot log to a finished run'),
        'store',
        'cannot log to a finished run',
      ],
      [new SearchError('no trial finished'), 'training', 'no trial finished'],
      [new SearchSpaceError('bad range'), 'input', 'bad range'],
      [new MissingColumnsError(['a', 'b']), 'data', 'lacks column(s) the model needs: a, b'],
      [new ReproduceCancelledError(), 'cancelled', 'the reproduction was cancelled'],
      [new ReproduceInputError('not the training file', 'data'), 'data', 'not the training file'],
      [new ReproduceInputError('no search record', 'bundle'), 'bundle', 'no search record'],
      [new CliError('--budget must be > 0'), 'input', '--budget must be > 0'],
      [new OnnxExportError('huber', 'no ONNX translation of huber'), 'input', 'no ONNX translation of huber'],
      [new PythonExportError('ensembles are not exported'), 'input', 'ensembles are not exported'],
      [new XgboostExportError('random forests: not exported'), 'input', 'random forests: not exported'],
      [new MonitorInputError('the batch b.csv has no rows'), 'data', 'the batch b.csv has no rows'],
    ];
    for (const [err, kind, message] of cases) {
      expect(err).toBeInstanceOf(StudioError);
      expect(describeError(err)).toEqual({ kind, message });
    }
  });

  it('calls anything else unexpected, in one line, saying what was going on', () => {
    expect(describeError(new TypeError('x is undefined\n    at f (a.js:1:1)'), 'training')).toEqual({
      kind: 'internal',
      message: 'Unexpected error while training: x is undefined',
    });
    expect(describeError('boom')).toEqual({
      kind: 'internal',
      message: 'Unexpected error while working: boom',
    });
    const abort = new Error('The operation was aborted');
    abort.name = 'AbortError';
    expect(describeError(abort).kind).toBe('cancelled');
  });

  it('the CLI prints an expected error in its own words (exit 2), not as unexpected', async () => {
    const r = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--no-track',
      '--out',
      '/tmp/never-written',
      '--params',
      '{"rounds":-3}',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: gbdt config 'rounds' must be an integer in \[0, \d+\], got -3\n$/);
  });
});
