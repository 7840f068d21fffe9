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
 * The product brief's example organisation for the backstage pack: an Order domain with Cart
 * and Products systems, the cart-db resource, the Cart API, the Cart and Products services, the
 * Core Kafka and Core Payment libraries, two groups and their users. Targets are listed before
 * the entities that point at them; polymorphic relations use `"blueprint:identifier"`.
 *
 * @example
 * await fetch(`${base}/api/v1/entities/bulk`, { method: 'POST', body: JSON.stringify({ entities: orderExampleEntities() }) });
 */
export function orderExampleEntities(): Entity[] {
  const github = (repo: string) => ({ 'github.com/project-slug': `acme/${repo}` });
  return [
    {
      identifier: 'jane',
      blueprint: 'user',
      title: 'Jane Doe',
      properties: { displayName: 'Jane Doe', email: 'jane@acme.example' },
      relations: {},
    },
    {
      identifier: 'omar',
      blueprint: 'user',
      title: 'Omar Haddad',
      properties: { displayName: 'Omar Haddad', email: 'omar@acme.example' },
      relations: {},
    },
    {
      identifier: 'lena',
      blueprint: 'user',
      title: 'Lena Novak',
      properties: { displayName: 'Lena Novak', email: 'lena@acme.example' },
      relations: {},
    },
    {
      identifier: 'order-team',
      blueprint: 'group',
      title: 'Order Team',
      properties: {
        type: 'team',
        displayName: 'Order Team',
        email: 'order-team@acme.example',
        description: 'Builds the cart and the product catalogue.',
      },
      relations: { hasMember: ['jane', 'omar'] },
    },
    {
      identifier: 'platform-team',
      blueprint: 'group',
      title: 'Platform Team',
      properties: {
        type: 'team',
        displayName: 'Platform Team',
        email: 'platform-team@acme.example',
        description: 'Provides the shared libraries every service builds on.',
      },
      relations: { hasMember: ['lena'] },
    },
    {
      identifier: 'order',
      blueprint: 'domain',
      title: 'Order',
      properties: { description: 'Everything between browsing products and placing an order.' },
      relations: { ownedBy: 'group:order-team' },
    },
    {
      identifier: 'cart',
      blueprint: 'system',
      title: 'Cart',
      properties: { description: 'Holds what a customer is about to buy.' },
      relations: { ownedBy: 'group:order-team', partOf: 'order' },
    },
    {
      identifier: 'products',
      blueprint: 'system',
      title: 'Products',
      properties: { description: 'The product catalogue: descriptions, prices and stock.' },
      relations: { ownedBy: 'group:order-team', partOf: 'order' },
    },
    {
      identifier: 'cart-db',
      blueprint: 'resource',
      title: 'Cart database',
      properties: { type: 'database', description: 'PostgreSQL database holding carts and their items.' },
      relations: { ownedBy: 'group:order-team', partOf: 'cart' },
    },
    {
      identifier: 'core-kafka',
      blueprint: 'component',
      title: 'Core Kafka',
      properties: {
        type: 'library',
        lifecycle: 'production',
        description: 'Kafka producer and consumer with the company defaults.',
        tags: ['kafka', 'java'],
        annotations: github('core-kafka'),
      },
      relations: { ownedBy: 'group:platform-team' },
    },
    {
      identifier: 'core-payment',
      blueprint: 'component',
      title: 'Core Payment',
      properties: {
        type: 'library',
        lifecycle: 'production',
        description: 'Client for the payment provider, with retries and idempotency keys.',
        tags: ['payments', 'java'],
        annotations: github('core-payment'),
      },
      relations: { ownedBy: 'group:platform-team' },
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
      },
      relations: { ownedBy: 'group:order-team', partOf: 'cart' },
    },
    {
      identifier: 'cart-service',
      blueprint: 'component',
      title: 'Cart Service',
      properties: {
        type: 'service',
        lifecycle: 'production',
        description: 'Serves the Cart API and publishes cart events.',
        tags: ['java'],
        annotations: github('cart-service'),
        links: { Runbook: 'https://runbooks.acme.example/cart-service' },
      },
      relations: {
        ownedBy: 'group:order-team',
        partOf: 'cart',
        providesApis: ['cart-api'],
        dependsOn: ['component:core-kafka', 'component:core-payment', 'resource:cart-db'],
      },
    },
    {
      identifier: 'products-service',
      blueprint: 'component',
      title: 'Products Service',
      properties: {
        type: 'service',
        lifecycle: 'production',
        description: 'Serves the product catalogue and reserves stock for items in carts.',
        tags: ['java'],
        annotations: github('products-service'),
      },
      relations: {
        ownedBy: 'group:order-team',
        partOf: 'products',
        // Reserving stock needs the cart's contents, which makes Products the Cart API's consumer.
        consumesApis: ['cart-api'],
        dependsOn: ['component:core-kafka'],
      },
    },
  ];
}
