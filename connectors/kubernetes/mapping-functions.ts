/**
 * JSONata functions for Kubernetes mappings: which catalog service a workload runs, which
 * version, and whether its rollout is done, read from the objects' own fields the way
 * `kubectl rollout status` reads them.
 */
import { environmentType, type MappingFunctions } from '@plexus/connector-sdk';
import type { KubeObject } from './client.ts';

type Obj = KubeObject & {
  spec?: Record<string, any>;
  status?: Record<string, any>;
};

const asObject = (o: unknown): Obj | undefined => (o && typeof o === 'object' ? (o as Obj) : undefined);

/** The value of the first of `keys` among the object's labels: the catalog service it runs. */
export function serviceOf(object: unknown, keys: unknown): string | undefined {
  const labels = asObject(object)?.metadata?.labels ?? {};
  for (const k of Array.isArray(keys) ? keys : [keys]) {
    const v = typeof k === 'string' ? labels[k] : undefined;
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/** The pod template of a workload (a CronJob's is inside its job template). */
function podSpec(o: Obj): { containers?: { image?: string }[] } | undefined {
  return o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template?.spec : o.spec?.template?.spec;
}

/** The tag (or digest) of an image reference; `latest` when it has neither, as the runtime assumes. */
export function imageTag(image: unknown): string | undefined {
  if (typeof image !== 'string' || image === '') return undefined;
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 1);
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  return colon >= 0 ? last.slice(colon + 1) : 'latest';
}

/** A workload's version: its `app.kubernetes.io/version` label, else its first container's image tag. */
export function workloadVersion(object: unknown): string | undefined {
  const o = asObject(object);
  if (!o) return undefined;
  const label = o.metadata?.labels?.['app.kubernetes.io/version'];
  if (typeof label === 'string' && label !== '') return label;
  return imageTag(podSpec(o)?.containers?.[0]?.image);
}

const condition = (o: Obj, type: string) =>
  (
    o.status?.conditions as
      | { type: string; status: string; reason?: string; lastUpdateTime?: string }[]
      | undefined
  )?.find((c) => c.type === type);

/** Whether the controller has not yet seen the latest spec. */
const stale = (o: Obj) =>
  typeof o.metadata?.generation === 'number' &&
  typeof o.status?.observedGeneration === 'number' &&
  o.status.observedGeneration < (o.metadata.generation as number);

/**
 * The sdlc deployment status of a workload's current rollout: `succeeded` when every replica runs
 * the latest spec, `inProgress` while it rolls out, `failed` when a Deployment exceeded its
 * progress deadline; a CronJob by its last schedule and last success.
 */
export function workloadStatus(object: unknown): string | undefined {
  const o = asObject(object);
  if (!o) return undefined;
  const s = o.status ?? {};
  switch (o.kind) {
    case 'Deployment': {
      if (condition(o, 'Progressing')?.reason === 'ProgressDeadlineExceeded') return 'failed';
      const want = o.spec?.replicas ?? 1;
      if (
        stale(o) ||
        (s.updatedReplicas ?? 0) < want ||
        (s.availableReplicas ?? 0) < want ||
        (s.replicas ?? 0) > want
      )
        return 'inProgress';
      return 'succeeded';
    }
    case 'StatefulSet': {
      const want = o.spec?.replicas ?? 1;
      if (
        stale(o) ||
        (s.updateRevision && s.currentRevision !== s.updateRevision) ||
        (s.readyReplicas ?? 0) < want
      )
        return 'inProgress';
      return 'succeeded';
    }
    case 'DaemonSet': {
      const want = s.desiredNumberScheduled ?? 0;
      if (stale(o) || (s.updatedNumberScheduled ?? 0) < want || (s.numberAvailable ?? 0) < want)
        return 'inProgress';
      return 'succeeded';
    }
    case 'CronJob': {
      if (Array.isArray(s.active) && s.active.length > 0) return 'inProgress';
      if (!s.lastScheduleTime) return 'pending';
      if (s.lastSuccessfulTime && Date.parse(s.lastSuccessfulTime) >= Date.parse(s.lastScheduleTime))
        return 'succeeded';
      return 'failed';
    }
    default:
      return undefined;
  }
}

/**
 * When the workload's current release started: a Deployment's last progress, a CronJob's last
 * schedule, else the object's creation.
 */
export function workloadStartedAt(object: unknown): string | undefined {
  const o = asObject(object);
  if (!o) return undefined;
  const created = o.metadata?.creationTimestamp as string | undefined;
  if (o.kind === 'Deployment') return condition(o, 'Progressing')?.lastUpdateTime ?? created;
  if (o.kind === 'CronJob') return (o.status?.lastScheduleTime as string | undefined) ?? created;
  return created;
}

/** Where a load balancer is reached: its ingress hostname or IP. */
export function loadBalancerAddress(object: unknown): string | undefined {
  const ingress = asObject(object)?.status?.loadBalancer?.ingress?.[0];
  return ingress?.hostname ?? ingress?.ip ?? undefined;
}


/** The functions, as the SDK registers them. */
export const kubernetesFunctions: MappingFunctions = {
  serviceOf: { fn: serviceOf },
  workloadVersion: { fn: workloadVersion },
  workloadStatus: { fn: workloadStatus },
  workloadStartedAt: { fn: workloadStartedAt },
  loadBalancerAddress: { fn: loadBalancerAddress },
  environmentType: { fn: environmentType },
};
