/** Demo data: a synthetic sdlc organisation (also for benchmarks) and the demo: that organisation with the Order example in it. */
export {
  countRelationships,
  type GenerateOrganisationOptions,
  generateOrganisation,
  generateOrganisationBatches,
  type OrganisationPlan,
  planOrganisation,
  type SdlcBlueprint,
} from './generate-organisation.ts';
export { demoEntities, generateDemoBatches } from './demo-organisation.ts';
export { orderExampleCoreKafka, orderExampleEntities } from './order-example.ts';
export type { Entity } from './types.ts';
