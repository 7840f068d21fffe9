/**
 * The connectors Plexus ships, by type. The server's sources module looks types up here; tests
 * and plugins may register more at runtime (`sources.registerConnector`).
 * Add a connector by importing its `connector.ts` and listing it below.
 */

import type { Connector } from '@plexus/connector-sdk';
import { backstageConnector } from './backstage/connector.ts';
import { githubConnector } from './github/connector.ts';
import { httpJsonConnector } from './http-json/connector.ts';
import { kubernetesConnector } from './kubernetes/connector.ts';
import { pagerdutyConnector } from './pagerduty/connector.ts';
import { terraformConnector } from './terraform/connector.ts';
import { webhookConnector } from './webhook/connector.ts';

/** Every built-in connector (a new list each call, so callers may change theirs). */
export function builtInConnectors(): Connector<any>[] {
  return [
    backstageConnector,
    httpJsonConnector,
    webhookConnector,
    githubConnector,
    pagerdutyConnector,
    kubernetesConnector,
    terraformConnector,
  ];
}
