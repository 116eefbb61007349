// Checks the Kubernetes manifests offline: renders every overlay with
// `kubectl kustomize`, validates each object against the Kubernetes (and
// CloudNativePG) schemas of the kubernetes-models packages, and checks what
// operators rely on — probes, security context, ports, image, grace period.
// Prints one line per check and closes with "N passed, M failed".
//
// Usage: node tools/check_manifests.mjs KUBECTL DEPLOY_DIR
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';

const [kubectl, deployDir] = process.argv.slice(2);
let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.log(`FAILED: ${what}`);
  }
}

async function modelFor(apiVersion, kind) {
  const module = apiVersion.startsWith('postgresql.cnpg.io/')
    ? `@kubernetes-models/cloudnative-pg/${apiVersion}`
    : `kubernetes-models/${apiVersion}`;
  const models = await import(module);
  return models[kind];
}

function seconds(text) {
  const match = /^(\d+)(ms|s|m)$/.exec(text ?? '');
  if (!match) return NaN;
  const n = Number(match[1]);
  return match[2] === 'ms' ? n / 1000 : match[2] === 'm' ? n * 60 : n;
}

const overlaysDir = join(deployDir, 'k8s', 'overlays');
const overlays = readdirSync(overlaysDir);
check(overlays.includes('dev') && overlays.includes('production'),
      'overlays dev and production exist');

for (const overlay of overlays) {
  const rendered = execFileSync(kubectl, ['kustomize', join(overlaysDir, overlay)],
                                { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const objects = yaml.loadAll(rendered).filter(Boolean);
  const at = (kind, name) =>
    objects.find((o) => o.kind === kind && (!name || o.metadata.name === name));
  console.log(`${overlay}: ${objects.length} objects`);

  for (const object of objects) {
    const Model = await modelFor(object.apiVersion, object.kind);
    const what = `${overlay}: ${object.apiVersion} ${object.kind} ${object.metadata?.name}`;
    if (!Model) {
      check(false, `${what}: no schema to validate against`);
      continue;
    }
    if (object.kind === 'Secret' && object.data) {
      // kustomize folds long base64 over lines; the API server's decoder
      // skips the line breaks, the schema's format check does not.
      for (const key of Object.keys(object.data)) {
        object.data[key] = object.data[key].replace(/\s+/g, '');
      }
    }
    try {
      new Model(object).validate();
      check(true, what);
    } catch (error) {
      check(false, `${what}: ${error.message}`);
    }
  }

  for (const kind of ['Deployment', 'Service', 'ConfigMap', 'Job', 'HorizontalPodAutoscaler',
                      'PodDisruptionBudget', 'NetworkPolicy', 'ServiceAccount']) {
    check(at(kind), `${overlay}: has a ${kind}`);
  }
  const deployment = at('Deployment');
  const job = at('Job', 'forum-registry-migrate');
  const seed = at('Job', 'forum-registry-seed');
  const config = at('ConfigMap').data;
  if (!deployment || !job) continue;
  const pod = deployment.spec.template.spec;
  const server = pod.containers[0];
  const env = Object.fromEntries(server.env.map((e) => [e.name, e]));
  const ports = Object.fromEntries(server.ports.map((p) => [p.name, p.containerPort]));
  check(deployment.spec.replicas >= 2, `${overlay}: at least 2 replicas`);

  // Probes: native gRPC, on the container's gRPC port.
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    check(server[probe]?.grpc?.port === ports.grpc,
          `${overlay}: ${probe} is a gRPC probe on the grpc port ${ports.grpc}`);
  }
  check(server.readinessProbe.grpc.service === undefined,
        `${overlay}: readiness asks the server as a whole (follows the database)`);
  check(server.livenessProbe.grpc.service === 'liveness',
        `${overlay}: liveness asks the "liveness" service (not the database)`);

  // Ports agree: the server listens where the container port says, and the
  // Services point at named container ports.
  check(config.FORUM_REGISTRY_LISTEN_ADDRESS.endsWith(`:${ports.grpc}`),
        `${overlay}: listen address matches the grpc container port`);
  check(config.FORUM_REGISTRY_METRICS_ADDRESS.endsWith(`:${ports.metrics}`),
        `${overlay}: metrics address matches the metrics container port`);
  for (const service of objects.filter((o) => o.kind === 'Service')) {
    for (const port of service.spec.ports) {
      check(port.targetPort in ports,
            `${overlay}: Service ${service.metadata.name} port ${port.name} targets a container port`);
    }
    check(Object.entries(service.spec.selector).every(
            ([k, v]) => deployment.spec.template.metadata.labels[k] === v),
          `${overlay}: Service ${service.metadata.name} selects the server pods`);
  }
  const headless = objects.find((o) => o.kind === 'Service' && o.spec.clusterIP === 'None');
  check(headless, `${overlay}: a headless Service for client-side balancing`);

  // Security context.
  for (const [name, spec, container] of [['server', pod, server],
                                         ['migrate', job.spec.template.spec,
                                          job.spec.template.spec.containers[0]],
                                         ['seed', seed.spec.template.spec,
                                          seed.spec.template.spec.containers[0]]]) {
    const sc = container.securityContext ?? {};
    check(spec.securityContext?.runAsNonRoot === true && sc.runAsNonRoot === true,
          `${overlay}: ${name} runs as non-root`);
    check(Number.isInteger(spec.securityContext?.runAsUser) && spec.securityContext.runAsUser > 0,
          `${overlay}: ${name} runs as a numeric non-root user`);
    check(sc.readOnlyRootFilesystem === true, `${overlay}: ${name} has a read-only root filesystem`);
    check(sc.allowPrivilegeEscalation === false, `${overlay}: ${name} cannot escalate privileges`);
    check((sc.capabilities?.drop ?? []).includes('ALL'), `${overlay}: ${name} drops all capabilities`);
    check(container.resources?.requests && container.resources?.limits,
          `${overlay}: ${name} has resource requests and limits`);
  }

  // One image, one tag, for the server and the migration Job.
  const image = server.image;
  check(/:[\w.-]+$/.test(image) && !image.endsWith(':latest'),
        `${overlay}: the image has a pinned tag (${image})`);
  check(job.spec.template.spec.containers[0].image === image,
        `${overlay}: the migration Job runs the server's image`);
  check(job.spec.template.spec.containers[0].args[0] === 'migrate',
        `${overlay}: the Job runs "migrate"`);
  check(seed?.spec.template.spec.containers[0].image === image &&
          seed.spec.template.spec.containers[0].args[0] === 'import',
        `${overlay}: the seed Job imports with the server's image`);
  const seedEnv = Object.fromEntries(
    (seed?.spec.template.spec.containers[0].env ?? []).map((e) => [e.name, e]));
  const jobEnv = Object.fromEntries(
    job.spec.template.spec.containers[0].env.map((e) => [e.name, e]));
  const secretOf = (e) => e.FORUM_REGISTRY_DATABASE_URL?.valueFrom?.secretKeyRef?.name;
  check(secretOf(seedEnv) === secretOf(env) && secretOf(jobEnv) === secretOf(env),
        `${overlay}: the Jobs and the server use the same database Secret`);

  // The grace period covers the preStop pause, the drain and the shutdown.
  const preStop = Number(server.lifecycle?.preStop?.exec?.command?.[1] ?? NaN);
  const needed = preStop + seconds(config.FORUM_REGISTRY_DRAIN_PERIOD) +
                 seconds(config.FORUM_REGISTRY_SHUTDOWN_TIMEOUT);
  check(pod.terminationGracePeriodSeconds > needed,
        `${overlay}: grace period ${pod.terminationGracePeriodSeconds}s exceeds preStop + drain + shutdown (${needed}s)`);

  // The database URL comes from a Secret, never from the ConfigMap.
  check(env.FORUM_REGISTRY_DATABASE_URL?.valueFrom?.secretKeyRef,
        `${overlay}: the database URL comes from a Secret`);
  check(!Object.keys(config).some((k) => k.includes('DATABASE_URL')),
        `${overlay}: no database URL in the ConfigMap`);
  if (overlay === 'production') {
    const cluster = at('Cluster');
    check(cluster?.spec?.instances >= 2, 'production: CloudNativePG Cluster with a replica');
    check((env.FORUM_REGISTRY_READ_DATABASE_URL?.value ?? '').includes(`${cluster?.metadata?.name}-ro`),
          'production: reads go to the Cluster\'s read-only service');
    check(env.FORUM_REGISTRY_DATABASE_URL?.valueFrom?.secretKeyRef?.name === `${cluster?.metadata?.name}-app`,
          'production: writes use the Cluster\'s app Secret (its -rw service)');
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
