export {
  bundleToOnnx,
  pipelineToOnnx,
  OnnxExportError,
  ONNX_IR_VERSION,
  OUTPUT_NAMES,
  probabilityOutput,
} from './export.ts';
export type { OnnxExport, OnnxExportOptions, InputKind, NumericInput } from './export.ts';
export { onnxFeeds, type OnnxFeed } from './feeds.ts';
export { ProtoWriter, encodeModel } from './protobuf.ts';
