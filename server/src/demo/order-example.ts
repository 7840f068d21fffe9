import type { Entity } from './types.ts';

const cartApiDefinition = `openapi: 3.0.3
info:
  title: Cart API
  version: 1.4.0
paths:
  /carts/{cartId}:
    get:
      summary: Read a cart and its items
      parameters:
        - name: cartId
          in: path
          required: true
          schema:
            type: string
      responses:
        '200':
          description: The cart
  /carts/{cartId}/items:
    post:
      summary: Add an item to a cart
      responses:
        '201':
          description: The item was added
`;

/**
 * What the Order example says about Core Kafka. Core Kafka is not one of the example's entities:
 * it is the generated organisation's most used library (`core-kafka`), and the demo gives that
 * library these properties and this owner, so the example and the organisation agree on it.
 */
export function orderExampleCoreKafka(): Pick<Entity, 'properties' | 'relations'> {
  return {
    properties: {
      description: 'Kafka producer and consumer with the company defaults.',
      language: 'java',
      lifecycle: 'production',
      packageName: 'com.acme:core-kafka',
      license: 'proprietary',
      repositoryUrl: 'https://github.example.com/acme/core-kafka',
      tags: ['kafka', 'java'],
    },
    relations: { ownedBy: 'platform-team' },
  };
}

/**
 * The product brief's example, on the sdlc pack like the rest of the demo: an Order domain with
 * the Cart and Products systems, the Cart API, the Cart and Products services, the cart-db
 * database, the Core Payment library, the Order and Platform teams and their people. Targets are
 * listed before the entities that point at them, except the generated organisation's entities the
 * example names: the `engineering` team (parent of both teams), the `production` environment and
 * the `core-kafka` library ({@link orderExampleCoreKafka}). `demoEntities` weaves the example into
 * the generated organisation and links the two both ways.
 *
 * `ownedBy` of domains, systems and APIs is written `team:<identifier>`: the backstage pack shares
 * those blueprints, and in a catalog holding both packs their owner may be a team, group or user.
 */
export function orderExampleEntities(): Entity[] {
  const repository = (name: string) => `https://github.example.com/acme/${name}`;
  const person = (identifier: string, displayName: string, role: string, timezone: string) => ({
    identifier,
    blueprint: 'person',
    title: displayName,
    properties: {
      email: `${identifier}@acme.example`,
      displayName,
      role,
      githubLogin: `${identifier}-acme`,
      timezone,
      active: true,
    },
  });
  return [
    {
      identifier: 'order-team',
      blueprint: 'team',
      title: 'Order Team',
      properties: {
        description: 'Builds the cart and the product catalogue.',
        email: 'order-team@acme.example',
        slackChannel: '#order-team',
        costCenter: 'CC-4100',
        onCallUrl: 'https://acme.pagerduty.example/schedules/order-team',
        headcount: 2,
      },
      relations: { parent: 'engineering' },
    },
    {
      identifier: 'platform-team',
      blueprint: 'team',
      title: 'Platform Team',
      properties: {
        description: 'Provides the shared libraries every service builds on.',
        email: 'platform-team@acme.example',
        slackChannel: '#platform-team',
        costCenter: 'CC-4200',
        onCallUrl: 'https://acme.pagerduty.example/schedules/platform-team',
        headcount: 1,
      },
      relations: { parent: 'engineering' },
    },
    {
      ...person('jane', 'Jane Doe', 'engineeringManager', 'Europe/Paris'),
      relations: { memberOf: ['order-team'], onCallFor: 'order-team' },
    },
    {
      ...person('omar', 'Omar Haddad', 'seniorEngineer', 'Europe/London'),
      relations: { memberOf: ['order-team'] },
    },
    {
      ...person('lena', 'Lena Novak', 'staffEngineer', 'Europe/Berlin'),
      relations: { memberOf: ['platform-team'], onCallFor: 'platform-team' },
    },
    {
      identifier: 'cart-db',
      blueprint: 'cloudResource',
      title: 'Cart database',
      properties: {
        type: 'database',
        provider: 'aws',
        region: 'eu-west-1',
        resourceId: 'arn:aws:rds:eu-west-1:123456789012:db:cart-db',
        monthlyCost: 420,
        encrypted: true,
        tags: ['terraform', 'aws', 'postgresql'],
      },
      relations: { environment: 'production', ownedBy: 'order-team' },
    },
    {
      identifier: 'core-payment',
      blueprint: 'library',
      title: 'Core Payment',
      properties: {
        description: 'Client for the payment provider, with retries and idempotency keys.',
        language: 'java',
        lifecycle: 'production',
        packageName: 'com.acme:core-payment',
        latestVersion: '3.2.0',
        license: 'proprietary',
        repositoryUrl: repository('core-payment'),
        tags: ['payments', 'java'],
      },
      relations: { ownedBy: 'platform-team' },
    },
    {
      identifier: 'order',
      blueprint: 'domain',
      title: 'Order',
      properties: { description: 'Everything between browsing products and placing an order.' },
      relations: { ownedBy: 'team:order-team' },
    },
    {
      identifier: 'cart',
      blueprint: 'system',
      title: 'Cart',
      properties: { description: 'Holds what a customer is about to buy.' },
      relations: { ownedBy: 'team:order-team', partOf: 'order' },
    },
    {
      identifier: 'products',
      blueprint: 'system',
      title: 'Products',
      properties: { description: 'The product catalogue: descriptions, prices and stock.' },
      relations: { ownedBy: 'team:order-team', partOf: 'order' },
    },
    {
      identifier: 'cart-api',
      blueprint: 'api',
      title: 'Cart API',
      properties: {
        type: 'openapi',
        lifecycle: 'production',
        description: 'Read and change carts.',
        definition: cartApiDefinition,
        tags: ['rest'],
      },
      relations: { ownedBy: 'team:order-team', partOf: 'cart' },
    },
    {
      identifier: 'cart-service',
      blueprint: 'service',
      title: 'Cart Service',
      properties: {
        description: 'Serves the Cart API and publishes cart events.',
        language: 'java',
        lifecycle: 'production',
        tier: 1,
        repositoryUrl: repository('cart-service'),
        runbookUrl: 'https://runbooks.acme.example/cart-service',
        slackChannel: '#cart-service',
        port: 8080,
        internetFacing: true,
        sloTarget: 99.95,
        tags: ['order', 'java'],
      },
      relations: {
        ownedBy: 'order-team',
        partOf: 'cart',
        providesApis: ['cart-api'],
        dependsOn: ['library:core-kafka', 'library:core-payment'],
        dependsOnStorage: ['cart-db'],
      },
    },
    {
      identifier: 'products-service',
      blueprint: 'service',
      title: 'Products Service',
      properties: {
        description: 'Serves the product catalogue and reserves stock for items in carts.',
        language: 'java',
        lifecycle: 'production',
        tier: 2,
        repositoryUrl: repository('products-service'),
        slackChannel: '#products-service',
        port: 8080,
        sloTarget: 99.9,
        tags: ['order', 'java'],
      },
      relations: {
        ownedBy: 'order-team',
        partOf: 'products',
        // Reserving stock needs the cart's contents, which makes Products the Cart API's consumer.
        consumesApis: ['cart-api'],
        dependsOn: ['library:core-kafka'],
      },
    },
  ];
}
