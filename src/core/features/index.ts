/** Feature engineering across tables: relationships, recipes, point-in-time aggregation, suggestion. */
export * from './types.ts';
export {
  buildFeatures,
  parseRecipe,
  labelUse,
  linkText,
  datePart,
  type BuildResult,
  type RelationshipReport,
} from './build.ts';
export {
  proposeRelationships,
  proposeTimeIndex,
  type ProposedRelationship,
  type RefusedRelationship,
  type RelationshipProposals,
  type TimeIndexProposal,
} from './relationships.ts';
export {
  suggestFeatures,
  associate,
  type Suggestion,
  type SuggestOptions,
  type FeatureAssociation,
} from './suggest.ts';
export { tableCsvLines, withFeatures } from './csv.ts';
export { percent } from './keys.ts';
export {
  applyFeatures,
  checkFeaturesSpec,
  describeFeature,
  featuresRecord,
  parseFeaturesRecord,
  recipeTables,
  tableDifferences,
  tableFingerprint,
  FEATURES_FILE,
  type FeatureDefinition,
  type FeaturesRecord,
  type FeaturesSpec,
  type TableRecord,
} from './spec.ts';
