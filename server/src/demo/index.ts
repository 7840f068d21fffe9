/** Demo data: a synthetic sdlc organisation for benchmarks and the backstage pack's Order example. */
export {
  countRelationships,
  type GenerateOrganisationOptions,
  generateOrganisation,
  generateOrganisationBatches,
  type OrganisationPlan,
  planOrganisation,
  type SdlcBlueprint,
} from './generate-organisation.ts';
export { orderExampleEntities } from './order-example.ts';
export type { Entity } from './types.ts';
