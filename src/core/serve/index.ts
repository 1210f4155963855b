/** The scoring server's use case (no HTTP library here): see service.ts. */
export { ServeError, type ServeErrorCode, type ServeErrorDetails } from './errors.ts';
export { frameFromJson, parseJsonBody, JSON_SHAPES, type Cell, type Frame } from './frame.ts';
export { jsonSyntaxProblem, type JsonSyntaxProblem } from './json-syntax.ts';
export { negotiate, parseMediaType, type MediaType } from './http-headers.ts';
export { ServingModel, type Scored, type ServingOptions } from './model.ts';
export {
  ScoringService,
  errorResponse,
  jsonResponse,
  type Begin,
  type InvocationPlan,
  type ServeInfo,
  type ServeRequestHead,
  type ServeResponse,
} from './service.ts';
