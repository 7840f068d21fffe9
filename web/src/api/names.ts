/**
 * GraphQL names of blueprints, relations and inverse fields. From @plexus/contract, the rules
 * the server's schema generation uses, so the UI builds exactly the field names the server generates.
 */
export { inverseFieldOf, labelOf, pluralFieldOf, targetsOf } from '@plexus/contract';
