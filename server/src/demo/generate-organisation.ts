import type { Entity } from './types.ts';

/** Options of {@link generateOrganisation}. */
export interface GenerateOrganisationOptions {
  /** PRNG seed; the same seed and options always give the same organisation. Default 1. */
  seed?: number;
  /** Number of services; every other count scales from it. Default 200. */
  services?: number;
  /** "Now" for generated timestamps (ISO 8601), fixed so output does not depend on the clock. */
  referenceTime?: string;
}

/** How many entities of each sdlc blueprint an organisation of a given size holds. */
export type OrganisationPlan = Readonly<Record<SdlcBlueprint, number>>;

/** The sdlc pack's blueprints the generator emits, in that order (targets first). */
export type SdlcBlueprint =
  | 'environment'
  | 'team'
  | 'person'
  | 'cloudResource'
  | 'library'
  | 'service'
  | 'pipeline'
  | 'deployment'
  | 'alert'
  | 'incident'
  | 'vulnerability'
  | 'permission';

const defaultReferenceTime = '2025-06-01T00:00:00.000Z';
const day = 86_400_000;
const minute = 60_000;

/** Splits a word list written as text, so long vocabularies stay short on the page. */
const words = (text: string) => text.trim().split(/\s+/);

const domains = words(`
  payments orders checkout cart catalog search inventory shipping billing accounts identity pricing
  reviews recommendations notifications fraud ledger loyalty returns media analytics reporting
  messaging support marketing
`);
const serviceNouns = words(`
  api gateway worker processor scheduler indexer sync router engine store adapter exporter importer
  resolver aggregator publisher consumer tracker bff service
`);
const libraryPrefixes = ['core', 'common', 'shared', 'platform', 'internal'];
const libraryTopics = words(`
  kafka http auth logging metrics tracing config cache db grpc json retry payment feature-flags
  validation crypto storage queue testing i18n
`);
const firstNames = words(`
  alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia peggy rupert sybil trent
  uma victor wendy yusuf zoe amir bea
`);
const lastNames = words(`
  martin garcia smith nguyen kowalski okafor schmidt rossi silva tanaka dubois jensen novak haddad
  murphy kim patel larsen costa ivanova
`);
const languages = ['go', 'typescript', 'java', 'kotlin', 'python', 'rust', 'csharp', 'ruby'] as const;
const roles = [
  'engineer',
  'engineer',
  'engineer',
  'seniorEngineer',
  'staffEngineer',
  'engineeringManager',
  'productManager',
  'sre',
  'designer',
];
const timezones = [
  'Europe/Paris',
  'Europe/London',
  'America/New_York',
  'America/Los_Angeles',
  'Asia/Singapore',
  'Europe/Berlin',
];
const environments = [
  { identifier: 'production', type: 'production', weight: 0.5 },
  { identifier: 'staging', type: 'staging', weight: 0.3 },
  { identifier: 'development', type: 'development', weight: 0.2 },
] as const;
const providers = ['aws', 'aws', 'aws', 'gcp', 'azure'] as const;
const regions: Record<(typeof providers)[number], string[]> = {
  aws: ['eu-west-1', 'us-east-1', 'us-west-2', 'ap-southeast-1'],
  gcp: ['europe-west1', 'us-central1', 'asia-east1'],
  azure: ['westeurope', 'eastus', 'southeastasia'],
};
/** What a service stores its data in; every other cloud resource type is something it runs on. */
const storageTypes = ['database', 'cache', 'bucket', 'searchIndex'] as const;
const cloudTypes = [
  'database',
  'database',
  'database',
  'cache',
  'cache',
  'bucket',
  'bucket',
  'searchIndex',
  'cluster',
  'cluster',
  'queue',
  'queue',
  'topic',
  'loadBalancer',
  'function',
  'function',
] as const;
const cloudSuffix: Record<(typeof cloudTypes)[number], string> = {
  database: 'db',
  cache: 'cache',
  bucket: 'bucket',
  searchIndex: 'search',
  cluster: 'cluster',
  queue: 'queue',
  topic: 'topic',
  loadBalancer: 'lb',
  function: 'fn',
};
const pipelineProviders = [
  'githubActions',
  'githubActions',
  'gitlabCi',
  'jenkins',
  'circleCi',
  'argoWorkflows',
];
const alertKinds = [
  'high-latency',
  'error-rate',
  'saturation',
  'pod-restarts',
  'queue-backlog',
  'disk-usage',
  'slo-burn',
];
const alertSources = ['prometheus', 'prometheus', 'datadog', 'cloudwatch', 'grafana', 'newRelic'];
const vulnerablePackages = [
  'openssl',
  'log4j-core',
  'lodash',
  'jackson-databind',
  'urllib3',
  'golang.org/x/net',
  'express',
  'spring-web',
  'protobuf',
  'zlib',
];

/** mulberry32: tiny, fast and good enough for test data; the whole stream follows from the seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Stateless hash of (seed, kind, index). Names come from it rather than from the PRNG stream so
 * that any entity can name a relation target by index without the generator keeping every
 * identifier in memory.
 */
function hash(seed: number, kind: number, index: number): number {
  let h = (seed ^ Math.imul(kind + 1, 0x85ebca6b) ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function capitalise(name: string): string {
  return name
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

/** Entity counts for an organisation with `services` services. */
export function planOrganisation(
  options: Pick<GenerateOrganisationOptions, 'services'> = {},
): OrganisationPlan {
  const s = options.services ?? 200;
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`services must be a positive integer, got ${s}`);
  const atLeastOne = (n: number) => Math.max(1, Math.round(n));
  return {
    environment: environments.length,
    team: atLeastOne(s / 8),
    person: atLeastOne(s / 5),
    cloudResource: s,
    library: atLeastOne(s / 3),
    service: s,
    pipeline: atLeastOne(s / 4),
    deployment: atLeastOne(s / 4),
    alert: atLeastOne(s / 5),
    incident: atLeastOne(s / 4),
    vulnerability: atLeastOne(s / 5),
    permission: atLeastOne(s / 5),
  };
}

/** Separate hash streams per kind of name, so that team 3 and service 3 do not share words. */
const Kind = { Team: 1, User: 2, CloudResource: 3, Library: 4, Service: 5, CostCenter: 6 } as const;

function* generateEntities(options: GenerateOrganisationOptions): Generator<Entity> {
  const seed = (options.seed ?? 1) >>> 0;
  const plan = planOrganisation(options);
  const now = Date.parse(options.referenceTime ?? defaultReferenceTime);
  if (Number.isNaN(now))
    throw new RangeError(`referenceTime must be an ISO 8601 date, got ${options.referenceTime}`);
  const rng = mulberry32(seed);

  const int = (min: number, max: number) => min + Math.floor(rng() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)];
  const chance = (p: number) => rng() < p;
  /** Index in [0, n) favouring low indices: a few core libraries and platform services get most edges. */
  const popular = (n: number) => Math.floor(n * rng() ** 2.5);
  const iso = (ms: number) => new Date(Math.floor(ms)).toISOString();
  const pastIso = (maxDays: number) => iso(now - rng() * maxDays * day);
  /** Up to `count` distinct picks; a repeated pick is dropped rather than retried to keep the stream short. */
  const distinct = (count: number, draw: () => number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const v = draw();
      if (!out.includes(v)) out.push(v);
    }
    return out;
  };
  const environmentIndex = () => {
    const r = rng();
    return r < environments[0].weight ? 0 : r < environments[0].weight + environments[1].weight ? 1 : 2;
  };

  const T = plan.team;
  const S = plan.service;
  const L = plan.library;
  const P = plan.pipeline;
  const U = plan.person;
  const C = plan.cloudResource;

  const teamDomain = (t: number) => domains[hash(seed, Kind.Team, t) % domains.length];
  const teamId = (t: number) => (t === 0 ? 'engineering' : `${teamDomain(t)}-team-${t}`);
  // Teams own contiguous blocks of services, so a team's services share its domain in their names.
  const homeTeamOfService = (s: number) => Math.floor((s * T) / S);
  const serviceId = (s: number) =>
    `${teamDomain(homeTeamOfService(s))}-${serviceNouns[hash(seed, Kind.Service, s) % serviceNouns.length]}-${s}`;
  const userId = (u: number) => {
    const h = hash(seed, Kind.User, u);
    return `${firstNames[h % firstNames.length]}-${lastNames[(h >>> 8) % lastNames.length]}-${u}`;
  };
  const cloudType = (c: number) => cloudTypes[hash(seed, Kind.CloudResource, c) % cloudTypes.length];
  const cloudId = (c: number) =>
    `${domains[(hash(seed, Kind.CloudResource, c) >>> 8) % domains.length]}-${cloudSuffix[cloudType(c)]}-${c}`;
  // Library 0, the one most others and most services use, is the shared Kafka client "Core Kafka",
  // the Order example's Core Kafka in the demo (demo-organisation.ts gives it the example's owner).
  const libraryId = (l: number) => {
    if (l === 0) return 'core-kafka';
    const h = hash(seed, Kind.Library, l);
    return `${libraryPrefixes[h % libraryPrefixes.length]}-${libraryTopics[(h >>> 8) % libraryTopics.length]}-${l}`;
  };
  // Each pipeline builds one contiguous slice of services (a monorepo): slice p is [⌊pS/P⌋, ⌊(p+1)S/P⌋).
  const firstServiceOfPipeline = (p: number) => Math.floor((p * S) / P);
  const pipelineOfService = (s: number) => Math.floor(((s + 1) * P - 1) / S);
  const pipelineId = (p: number) => `${teamDomain(homeTeamOfService(firstServiceOfPipeline(p)))}-build-${p}`;

  const storageResources: number[] = [];
  const runtimeResources: number[] = [];
  for (let c = 0; c < C; c++) {
    ((storageTypes as readonly string[]).includes(cloudType(c)) ? storageResources : runtimeResources).push(
      c,
    );
  }
  // Filled as services and alerts are emitted: incidents name an alert, its service and that
  // service's owner. Alert names depend on PRNG draws, so unlike other names they are kept.
  const serviceOwner = new Int32Array(S);
  const alertService = new Int32Array(plan.alert);
  const alertIds: string[] = [];

  for (const env of environments) {
    const production = env.type === 'production';
    yield {
      identifier: env.identifier,
      blueprint: 'environment',
      title: capitalise(env.identifier),
      properties: {
        type: env.type,
        cloudProvider: 'aws',
        region: 'eu-west-1',
        url: `https://${production ? '' : `${env.identifier}.`}acme.example`,
        isProduction: production,
      },
      relations: {},
    };
  }

  // Teams with an on-call schedule: their first home member is the current on-call (no PRNG draw).
  const teamHasOnCall = new Uint8Array(T);
  for (let t = 0; t < T; t++) {
    const id = teamId(t);
    const properties: Record<string, unknown> = {
      email: `${id}@acme.example`,
      slackChannel: `#${id}`,
      costCenter: `CC-${1000 + (hash(seed, Kind.CostCenter, t) % 9000)}`,
      headcount: int(3, 12),
    };
    if (chance(0.6)) {
      properties.onCallUrl = `https://acme.pagerduty.example/schedules/${id}`;
      teamHasOnCall[t] = 1;
    }
    if (chance(0.3)) properties.description = `Owns the **${teamDomain(t)}** area.`;
    yield {
      identifier: id,
      blueprint: 'team',
      title: t === 0 ? 'Engineering' : capitalise(id),
      properties,
      // A six-way tree under "engineering": parents always have lower indices, so they come first.
      relations: t === 0 ? {} : { parent: teamId(Math.floor((t - 1) / 6)) },
    };
  }

  const homeTeamOfUser = (u: number) => Math.floor((u * T) / U);
  const isFirstOfOnCallTeam = (u: number) =>
    teamHasOnCall[homeTeamOfUser(u)] === 1 && (u === 0 || homeTeamOfUser(u - 1) !== homeTeamOfUser(u));
  for (let u = 0; u < U; u++) {
    const id = userId(u);
    const teams = [teamId(Math.floor((u * T) / U))];
    if (chance(0.2)) {
      const other = teamId(int(0, T - 1));
      if (!teams.includes(other)) teams.push(other);
    }
    yield {
      identifier: id,
      blueprint: 'person',
      title: capitalise(id.replace(/-\d+$/, '')),
      properties: {
        email: `${id.replace(/-/g, '.')}@acme.example`,
        displayName: capitalise(id.replace(/-\d+$/, '')),
        role: pick(roles),
        githubLogin: id,
        timezone: pick(timezones),
        active: chance(0.95),
      },
      relations: isFirstOfOnCallTeam(u) ? { memberOf: teams, onCallFor: teams[0] } : { memberOf: teams },
    };
  }

  for (let c = 0; c < C; c++) {
    const id = cloudId(c);
    const type = cloudType(c);
    const provider = pick(providers);
    const region = pick(regions[provider]);
    const resourceId =
      provider === 'aws'
        ? `arn:aws:${type}:${region}:123456789012:${id}`
        : provider === 'gcp'
          ? `projects/acme-prod/locations/${region}/${type}/${id}`
          : `/subscriptions/acme/resourceGroups/${region}/providers/${type}/${id}`;
    const properties: Record<string, unknown> = {
      type,
      provider,
      region,
      resourceId,
      monthlyCost: Math.round(rng() * 500_000) / 100,
      createdAt: pastIso(1500),
    };
    if ((storageTypes as readonly string[]).includes(type)) properties.encrypted = chance(0.9);
    if (chance(0.3)) properties.tags = ['terraform', provider];
    const relations: Record<string, string | string[]> = {
      environment: environments[environmentIndex()].identifier,
    };
    if (chance(0.5)) relations.ownedBy = teamId(popular(T));
    yield { identifier: id, blueprint: 'cloudResource', title: id, properties, relations };
  }

  for (let l = 0; l < L; l++) {
    const id = libraryId(l);
    const language = pick(languages);
    const properties: Record<string, unknown> = {
      language,
      lifecycle: chance(0.85) ? 'production' : chance(0.5) ? 'experimental' : 'deprecated',
      packageName: language === 'java' || language === 'kotlin' ? `com.acme:${id}` : `@acme/${id}`,
      latestVersion: `${int(0, 9)}.${int(0, 30)}.${int(0, 20)}`,
      license: chance(0.8) ? 'proprietary' : pick(['MIT', 'Apache-2.0', 'BSD-3-Clause']),
      repositoryUrl: `https://github.example.com/acme/${id}`,
      createdAt: pastIso(2500),
      tags: [language, 'library'],
    };
    const relations: Record<string, string | string[]> = { ownedBy: teamId(popular(T)) };
    // Libraries depend only on lower-numbered ones: the graph stays acyclic and targets come first.
    if (l > 0) {
      const deps = distinct(int(0, 2), () => popular(l));
      if (deps.length > 0) relations.dependsOn = deps.map(libraryId);
    }
    yield {
      identifier: id,
      blueprint: 'library',
      title: capitalise(id.replace(/-\d+$/, '')),
      properties,
      relations,
    };
  }

  for (let s = 0; s < S; s++) {
    const id = serviceId(s);
    const owner = chance(0.9) ? homeTeamOfService(s) : int(0, T - 1);
    serviceOwner[s] = owner;
    const tier = chance(0.15) ? 1 : chance(0.45) ? 2 : 3;
    const language = pick(languages);
    const properties: Record<string, unknown> = {
      language,
      lifecycle: chance(0.8) ? 'production' : chance(0.6) ? 'experimental' : 'deprecated',
      tier,
      repositoryUrl: `https://github.example.com/acme/${id}`,
      slackChannel: `#${id}`,
      port: pick([8080, 8080, 3000, 9090, 50051]),
      internetFacing: chance(0.2),
      createdAt: pastIso(2000),
      tags: [teamDomain(homeTeamOfService(s)), language],
    };
    if (tier === 1 || chance(0.3)) properties.runbookUrl = `https://runbooks.acme.example/${id}`;
    if (tier < 3) properties.sloTarget = tier === 1 ? 99.95 : 99.9;
    if (chance(0.25))
      properties.description = `Runs the ${capitalise(id.replace(/-\d+$/, ''))} part of *${teamDomain(homeTeamOfService(s))}*.`;
    if (chance(0.2)) properties.labels = { team: teamId(owner), managedBy: 'terraform' };

    const relations: Record<string, string | string[]> = { ownedBy: teamId(owner) };
    const dependsOn = [
      ...(s > 0 ? distinct(int(0, 2), () => popular(s)).map((d) => `service:${serviceId(d)}`) : []),
      ...distinct(chance(0.3) ? 2 : 1, () => popular(L)).map((l) => `library:${libraryId(l)}`),
    ];
    relations.dependsOn = dependsOn;
    // Runtime targets are shared (a few clusters host most services); storage is mostly per service.
    if (runtimeResources.length > 0) {
      relations.dependsOnRuntime = distinct(
        chance(0.25) ? 2 : 1,
        () => runtimeResources[popular(runtimeResources.length)],
      ).map(cloudId);
    }
    if (storageResources.length > 0) {
      const storage = distinct(int(0, 2), () => storageResources[int(0, storageResources.length - 1)]);
      if (storage.length > 0) relations.dependsOnStorage = storage.map(cloudId);
    }
    yield { identifier: id, blueprint: 'service', title: capitalise(id), properties, relations };
  }

  for (let p = 0; p < P; p++) {
    const from = firstServiceOfPipeline(p);
    const to = firstServiceOfPipeline(p + 1);
    const builds: string[] = [];
    for (let s = from; s < to; s++) builds.push(serviceId(s));
    const id = pipelineId(p);
    yield {
      identifier: id,
      blueprint: 'pipeline',
      title: capitalise(id),
      properties: {
        provider: pick(pipelineProviders),
        url: `https://ci.acme.example/pipelines/${id}`,
        branch: chance(0.8) ? 'main' : 'master',
        status: chance(0.8) ? 'passing' : pick(['failing', 'running', 'cancelled']),
        lastRunAt: pastIso(14),
        averageDurationSeconds: int(60, 1800),
        successRate: Math.round((0.7 + rng() * 0.3) * 1000) / 1000,
      },
      relations: {
        builds,
        deploysTo: environments.slice(0, int(1, environments.length)).map((e) => e.identifier),
      },
    };
  }

  for (let d = 0; d < plan.deployment; d++) {
    const s = int(0, S - 1);
    const env = environments[environmentIndex()];
    const startedAt = now - rng() * 90 * day;
    const status = chance(0.85) ? 'succeeded' : pick(['pending', 'inProgress', 'failed', 'rolledBack']);
    const properties: Record<string, unknown> = {
      version: `${int(1, 5)}.${int(0, 40)}.${int(0, 20)}`,
      status,
      commitSha: Array.from({ length: 5 }, () =>
        Math.floor(rng() * 2 ** 32)
          .toString(16)
          .padStart(8, '0'),
      ).join(''),
      startedAt: iso(startedAt),
      replicas: env.type === 'production' ? int(2, 12) : int(1, 2),
    };
    if (status !== 'pending' && status !== 'inProgress') {
      const duration = int(30, 1200);
      properties.finishedAt = iso(startedAt + duration * 1000);
      properties.durationSeconds = duration;
    }
    if (chance(0.5))
      properties.changeUrl = `https://github.example.com/acme/${serviceId(s)}/pull/${int(1, 5000)}`;
    yield {
      identifier: `${serviceId(s)}-deploy-${d}`,
      blueprint: 'deployment',
      properties,
      relations: {
        deploys: serviceId(s),
        environment: env.identifier,
        deployedBy: pipelineId(pipelineOfService(s)),
      },
    };
  }

  for (let a = 0; a < plan.alert; a++) {
    const s = int(0, S - 1);
    alertService[a] = s;
    const kind = pick(alertKinds);
    const status = chance(0.1) ? 'firing' : chance(0.9) ? 'resolved' : 'silenced';
    const properties: Record<string, unknown> = {
      severity: chance(0.25) ? 'critical' : chance(0.8) ? 'warning' : 'info',
      status,
      source: pick(alertSources),
      query: `${kind.replace(/-/g, '_')}{service="${serviceId(s)}"} > ${int(1, 99)}`,
      firedAt: pastIso(30),
    };
    if (chance(0.6)) properties.runbookUrl = `https://runbooks.acme.example/${serviceId(s)}#${kind}`;
    alertIds.push(`${serviceId(s)}-${kind}-${a}`);
    yield {
      identifier: alertIds[a],
      blueprint: 'alert',
      title: `${capitalise(kind)} on ${serviceId(s)}`,
      properties,
      relations: { firesFor: serviceId(s) },
    };
  }

  for (let n = 0; n < plan.incident; n++) {
    const relations: Record<string, string | string[]> = {};
    let primary: number;
    // Most incidents start from an alert; the alerted service is the one primarily affected.
    if (chance(0.75)) {
      const alerts = distinct(int(1, 2), () => int(0, plan.alert - 1));
      primary = alertService[alerts[0]];
      relations.triggeredBy = alerts.map((a) => alertIds[a]);
    } else {
      primary = popular(S);
    }
    const affected = [primary, ...distinct(int(0, 1), () => int(0, S - 1)).filter((s) => s !== primary)];
    relations.affects = affected.map(serviceId);
    relations.assignedTo = teamId(serviceOwner[primary]);
    const severity = chance(0.05) ? 'sev1' : chance(0.2) ? 'sev2' : chance(0.5) ? 'sev3' : 'sev4';
    const openedAt = now - rng() * 180 * day;
    const status = chance(0.9) ? 'resolved' : chance(0.5) ? 'acknowledged' : 'triggered';
    const properties: Record<string, unknown> = { severity, status, openedAt: iso(openedAt) };
    if (status !== 'triggered') {
      const acknowledgedAt = openedAt + int(1, 30) * minute;
      properties.acknowledgedAt = iso(acknowledgedAt);
      if (status === 'resolved') {
        const resolvedAt = acknowledgedAt + int(10, 2880) * minute;
        properties.resolvedAt = iso(resolvedAt);
        properties.timeToResolveMinutes = Math.round((resolvedAt - openedAt) / minute);
        if (severity === 'sev1' || severity === 'sev2') {
          properties.postmortemUrl = `https://wiki.acme.example/postmortems/INC-${n + 1}`;
        }
      }
    }
    yield {
      identifier: `INC-${n + 1}`,
      blueprint: 'incident',
      title: `${capitalise(serviceId(primary))} ${pick(['degraded', 'unavailable', 'slow', 'erroring'])}`,
      properties,
      relations,
    };
  }

  for (let v = 0; v < plan.vulnerability; v++) {
    const cveId = `CVE-${2019 + (v % 6)}-${10000 + v}`;
    const severity = chance(0.1) ? 'critical' : chance(0.3) ? 'high' : chance(0.6) ? 'medium' : 'low';
    const [low, high] = { critical: [9, 10], high: [7, 8.9], medium: [4, 6.9], low: [0.1, 3.9] }[
      severity
    ] as [number, number];
    const pkg = pick(vulnerablePackages);
    // Vulnerabilities mostly sit in shared libraries and reach services through dependsOn.
    const affects = distinct(int(1, 3), () => (chance(0.7) ? -1 - popular(L) : int(0, S - 1))).map((x) =>
      x < 0 ? `library:${libraryId(-1 - x)}` : `service:${serviceId(x)}`,
    );
    const properties: Record<string, unknown> = {
      cveId,
      severity,
      cvssScore: Math.round((low + rng() * (high - low)) * 10) / 10,
      status: chance(0.5) ? 'open' : pick(['triaged', 'fixed', 'ignored']),
      packageName: pkg,
      url: `https://nvd.nist.gov/vuln/detail/${cveId}`,
      publishedAt: pastIso(2000),
      discoveredAt: pastIso(365),
    };
    if (chance(0.6)) properties.fixedInVersion = `${int(1, 9)}.${int(0, 20)}.${int(0, 20)}`;
    yield {
      identifier: cveId,
      blueprint: 'vulnerability',
      title: `${cveId} in ${pkg}`,
      properties,
      relations: { affects },
    };
  }

  for (let p = 0; p < plan.permission; p++) {
    const grantedTo = chance(0.7) ? `team:${teamId(int(0, T - 1))}` : `person:${userId(int(0, U - 1))}`;
    const r = rng();
    const appliesTo =
      r < 0.5
        ? `service:${serviceId(int(0, S - 1))}`
        : r < 0.65
          ? `environment:${environments[environmentIndex()].identifier}`
          : `cloudResource:${cloudId(int(0, C - 1))}`;
    const grantedAt = now - rng() * 400 * day;
    const temporary = chance(0.15);
    const properties: Record<string, unknown> = {
      action: pick(['read', 'read', 'write', 'deploy', 'admin']),
      temporary,
      grantedAt: iso(grantedAt),
    };
    if (temporary) properties.expiresAt = iso(grantedAt + int(1, 30) * day);
    if (chance(0.4))
      properties.reason = pick(['on-call access', 'migration', 'audit', 'incident response', 'new joiner']);
    yield {
      identifier: `perm-${p}`,
      blueprint: 'permission',
      properties,
      relations: { grantedTo, appliesTo },
    };
  }
}

/**
 * Yields the organisation of {@link generateOrganisation} in arrays of at most `batchSize`
 * entities, in the same order, without holding the whole organisation in memory: loaders can
 * send each batch before the next is made.
 *
 * @example
 * for (const batch of generateOrganisationBatches({ services: 25_000 }, 5_000)) {
 *   await upsertEntities(batch);
 * }
 */
export function* generateOrganisationBatches(
  options: GenerateOrganisationOptions = {},
  batchSize = 1_000,
): Generator<Entity[]> {
  yield* inBatches(generateEntities(options), batchSize);
}

/** `items` in arrays of at most `batchSize`, in order, taken from the iterable as they are needed. */
export function* inBatches<T>(items: Iterable<T>, batchSize: number): Generator<T[]> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * A synthetic organisation for the sdlc pack: environments, teams, users, cloud resources,
 * libraries, services, pipelines, deployments, alerts, incidents, vulnerabilities and
 * permissions, with every relation pointing at an entity it also generates. Targets are emitted
 * before the entities that point at them. Same seed and options, same output.
 *
 * Sizes scale from `services` (S): teams S/8, users S/5, cloud resources S, libraries S/3,
 * pipelines S/4, deployments S/4, alerts S/5, incidents S/4, vulnerabilities S/5,
 * permissions S/5, environments 3. At the benchmark size, `services: 25_000` with the default
 * seed, that is 100,211 entities and 305,669 relationships (see {@link countRelationships});
 * other seeds give the same entity count and within a few hundred of that relationship count.
 * It takes about 0.6–0.8 s on a laptop-class CPU.
 *
 * @example
 * const { entities } = generateOrganisation({ seed: 7, services: 500 });
 */
export function generateOrganisation(options: GenerateOrganisationOptions = {}): { entities: Entity[] } {
  const entities: Entity[] = [];
  for (const entity of generateEntities(options)) entities.push(entity);
  return { entities };
}

/** Number of relationships the entities describe: one per relation target (source → target edge). */
export function countRelationships(entities: Iterable<Entity>): number {
  let count = 0;
  for (const entity of entities) {
    for (const value of Object.values(entity.relations)) {
      count += Array.isArray(value) ? value.length : 1;
    }
  }
  return count;
}
