import camelcase from 'camelcase';
import type { Blueprint, RelationDef } from './model.ts';

/** Identifier rule for blueprints, properties and relations (they become GraphQL names). */
export const identifierPattern = /^[a-z][a-zA-Z0-9]{0,63}$/;

/** Neo4j label (and GraphQL type name) of a blueprint: PascalCase of its identifier. */
export function labelOf(blueprint: string): string {
  return blueprint.charAt(0).toUpperCase() + blueprint.slice(1);
}

/** Neo4j relationship type of a relation: UPPER_SNAKE of its identifier. */
export function relTypeOf(relation: string): string {
  return relation
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([a-zA-Z])([0-9])/g, '$1_$2')
    .toUpperCase();
}

/** Target blueprints of a relation as a list. */
export function targetsOf(rel: RelationDef): string[] {
  return Array.isArray(rel.target) ? rel.target : [rel.target];
}

function plural(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  return `${word}s`;
}

/**
 * Name of the field on a target type listing the sources of a relation: the relation's
 * `inverse`, or `<sources><Relation>` (e.g. `servicesOwnedBy` on Team for service.ownedBy).
 */
export function inverseFieldOf(source: Blueprint, relation: string, rel: RelationDef): string {
  return rel.inverse ?? `${pluralFieldOf(source.identifier)}${labelOf(relation)}`;
}

/**
 * Name of the generated root query field listing a blueprint's entities (GraphQL), e.g.
 * `services`, `cloudResources`. @neo4j/graphql camel-cases the `@plural` value, so this does too.
 */
export function pluralFieldOf(blueprint: string): string {
  return camelcase(plural(blueprint));
}
