import {
  type GenerateOrganisationOptions,
  generateOrganisationBatches,
  inBatches,
  planOrganisation,
} from './generate-organisation.ts';
import { orderExampleCoreKafka, orderExampleEntities } from './order-example.ts';
import type { Entity } from './types.ts';

/**
 * Where an example entity goes in the generated stream: after the generated block of this
 * blueprint. The generator emits environments, teams, people, cloud resources, libraries, then
 * services; the example's domain, systems, API and services go after the libraries, so they come
 * before the generated services that depend on the Cart service or consume the Cart API.
 */
const slotOf: Record<string, string> = {
  team: 'team',
  person: 'person',
  cloudResource: 'cloudResource',
  library: 'library',
  domain: 'library',
  system: 'library',
  api: 'library',
  service: 'library',
};

/** Domains of generated services that, in the story, call the cart: checkout, orders... */
const cartConsumerDomains = ['checkout', 'orders', 'cart', 'pricing', 'recommendations', 'loyalty'];
/** How many generated services are made to depend on the Cart service: "a few". */
const maxCartConsumers = 4;
/** Library topics (the generator's names are `<prefix>-<topic>-<n>`) the Cart service imports. */
const cartLibraryTopics = ['http', 'tracing', 'logging', 'metrics'];
const maxCartLibraries = 2;

const listOf = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * The demo organisation: the generated sdlc organisation with the Order example woven into it,
 * one model throughout. The example's entities come right after the generated entities of their
 * kind (targets before what points at them); the generator's `core-kafka` library takes the
 * example's description and owner ({@link orderExampleCoreKafka}); the two teams sit under
 * `engineering`; the Cart service also imports up to two generated http, tracing, logging or
 * metrics libraries (else the first generated library after Core Kafka) and runs on the first
 * generated cluster; and up to four generated services of the checkout, orders, cart, pricing,
 * recommendations or loyalty teams (the last generated service when there are none) depend on
 * the Cart service and consume the Cart API. Same options, same output.
 *
 * @example
 * for (const batch of generateDemoBatches({ services: 300, seed: 7 }, 2000)) await catalog.upsertEntities(batch, ctx);
 */
export function* demoEntities(options: GenerateOrganisationOptions = {}): Generator<Entity> {
  const services = planOrganisation(options).service;
  const example = orderExampleEntities();
  const kafka = orderExampleCoreKafka();
  const cartLibraries: string[] = [];
  /** The first generated library after Core Kafka: the fallback when no topic matches. */
  let firstOtherLibrary: string | undefined;
  let cluster: string | undefined;
  let generatedServices = 0;
  let cartConsumers = 0;
  let previous: string | undefined;

  /** The example's entities of `slot`, the Cart service given what the organisation offers it. */
  function* exampleAfter(slot: string): Generator<Entity> {
    for (const e of example) {
      if (slotOf[e.blueprint] !== slot) continue;
      if (e.identifier !== 'cart-service') {
        yield e;
        continue;
      }
      const relations = { ...e.relations };
      const libraries =
        cartLibraries.length > 0 ? cartLibraries : firstOtherLibrary ? [firstOtherLibrary] : [];
      relations.dependsOn = [...listOf(relations.dependsOn), ...libraries.map((l) => `library:${l}`)];
      if (cluster) relations.dependsOnRuntime = [cluster];
      yield { ...e, relations };
    }
  }

  for (const batch of generateOrganisationBatches(options, 1000)) {
    for (const generated of batch) {
      if (previous !== undefined && previous !== generated.blueprint) yield* exampleAfter(previous);
      previous = generated.blueprint;
      let e = generated;
      if (e.blueprint === 'library') {
        if (e.identifier === 'core-kafka') {
          e = {
            ...e,
            properties: { ...e.properties, ...kafka.properties },
            relations: { ...e.relations, ...kafka.relations },
          };
        } else {
          firstOtherLibrary ??= e.identifier;
          const topic = e.identifier.split('-').slice(1, -1).join('-');
          if (cartLibraries.length < maxCartLibraries && cartLibraryTopics.includes(topic))
            cartLibraries.push(e.identifier);
        }
      } else if (
        e.blueprint === 'cloudResource' &&
        cluster === undefined &&
        e.properties.type === 'cluster'
      ) {
        cluster = e.identifier;
      } else if (e.blueprint === 'service') {
        generatedServices++;
        const domain = listOf(e.properties.tags as string[] | undefined)[0];
        const consumer =
          cartConsumers < maxCartConsumers &&
          (cartConsumerDomains.includes(domain) || (cartConsumers === 0 && generatedServices === services));
        if (consumer) {
          cartConsumers++;
          e = {
            ...e,
            relations: {
              ...e.relations,
              dependsOn: [...listOf(e.relations.dependsOn), 'service:cart-service'],
              consumesApis: ['cart-api'],
            },
          };
        }
      }
      yield e;
    }
  }
  if (previous !== undefined) yield* exampleAfter(previous);
}

/**
 * {@link demoEntities} in arrays of at most `batchSize` entities, in the same order.
 *
 * @example
 * for (const batch of generateDemoBatches({ services: 300, seed: 7 }, 2000)) await catalog.upsertEntities(batch, ctx);
 */
export function* generateDemoBatches(
  options: GenerateOrganisationOptions = {},
  batchSize = 1_000,
): Generator<Entity[]> {
  yield* inBatches(demoEntities(options), batchSize);
}
