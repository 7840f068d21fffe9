/**
 * GraphQL names of blueprints, relations and inverse fields. Re-exported from the server so
 * the UI builds exactly the field names the server generates.
 */
export { inverseFieldOf, labelOf, pluralFieldOf, targetsOf } from '../../../server/src/model/names.ts';
