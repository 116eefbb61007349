// Checks the Kubernetes manifests offline: renders every overlay with
// `kubectl kustomize`, validates each object against the Kubernetes (and
// CloudNativePG, cert-manager) schemas of the kubernetes-models packages, and
// checks what operators rely on — probes, security context, ports, image,
// grace period, and in production TLS, the serving role and verify-full.
// Prints one line per check and closes with "N passed, M failed".
//
// Usage: node tools/check_manifests.mjs KUBECTL DEPLOY_DIR
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import Ajv from 'ajv';

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

// The Barman Cloud plugin's ObjectStore has no kubernetes-models package:
// what its CRD requires, and the fields this deployment relies on, checked
// with ajv (the validator kubernetes-models itself uses). From the plugin's
// API reference (barmancloud.cnpg.io/v1, plugin-barman-cloud 0.x).
const objectStoreSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    metadata: { type: 'object', required: ['name'] },
    spec: {
      type: 'object',
      required: ['configuration'],
      additionalProperties: false,
      properties: {
        retentionPolicy: { type: 'string', pattern: '^[1-9][0-9]*[dwm]$' },
        instanceSidecarConfiguration: { type: 'object' },
        configuration: {
          type: 'object',
          required: ['destinationPath'],
          properties: {
            destinationPath: { type: 'string', pattern: '^(s3|gs|https?)://' },
            endpointURL: { type: 'string' },
            serverName: { const: '' },
            s3Credentials: { type: 'object' },
            azureCredentials: { type: 'object' },
            googleCredentials: { type: 'object' },
            wal: { type: 'object' },
            data: { type: 'object' },
          },
        },
      },
    },
  },
};
class ObjectStore {
  constructor(object) { this.object = object; }
  validate() {
    const ajv = new Ajv({ allErrors: true, strict: false });
    if (!ajv.validate(objectStoreSchema, this.object)) {
      throw new Error(ajv.errorsText(ajv.errors));
    }
  }
}

async function modelFor(apiVersion, kind) {
  if (apiVersion === 'barmancloud.cnpg.io/v1') {
    return kind === 'ObjectStore' ? ObjectStore : undefined;
  }
  const module = apiVersion.startsWith('postgresql.cnpg.io/')
    ? `@kubernetes-models/cloudnative-pg/${apiVersion}`
    : apiVersion.startsWith('cert-manager.io/')
      ? `@kubernetes-models/cert-manager/${apiVersion}`
      : apiVersion.startsWith('monitoring.coreos.com/')
        ? `@kubernetes-models/prometheus-operator/${apiVersion}`
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
  const server = pod.containers.find((c) => c.name === 'server');
  const edge = pod.containers.find((c) => c.name === 'edge');
  check(server && edge && pod.containers.length === 2,
        `${overlay}: the pod runs the server and the edge`);
  if (!server || !edge) continue;
  const env = Object.fromEntries(server.env.map((e) => [e.name, e]));
  const portsOf = (c) => Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]));
  const ports = portsOf(server);
  const edgePorts = portsOf(edge);
  const allPorts = { ...ports, ...edgePorts };
  check(deployment.spec.replicas >= 2, `${overlay}: at least 2 replicas`);

  // The edge is the one door (docs/security.md): the server has no client
  // port, only its door for the edge on loopback, which the edge forwards
  // to, gRPC and plain HTTP each to its own; clients reach the edge's grpc
  // port for both.
  check(config.FORUM_REGISTRY_LISTEN_ADDRESS === '',
        `${overlay}: the server listens for clients only through the edge`);
  check(/^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+$/.test(config.FORUM_REGISTRY_EDGE_ADDRESS ?? ''),
        `${overlay}: the server's door for the edge is on loopback`);
  check(config.FORUM_REGISTRY_EDGE_UPSTREAM === config.FORUM_REGISTRY_EDGE_ADDRESS,
        `${overlay}: the edge forwards to the server's door for it`);
  check(/^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+$/.test(config.FORUM_REGISTRY_HTTP_EDGE_ADDRESS ?? '') &&
          config.FORUM_REGISTRY_HTTP_EDGE_ADDRESS !== config.FORUM_REGISTRY_EDGE_ADDRESS,
        `${overlay}: the server's HTTP door for the edge is on loopback, beside its gRPC one`);
  check(config.FORUM_REGISTRY_EDGE_HTTP_UPSTREAM === config.FORUM_REGISTRY_HTTP_EDGE_ADDRESS,
        `${overlay}: the edge forwards plain HTTP to the server's HTTP door for it`);
  check(!config.FORUM_REGISTRY_HTTP_ADDRESS,
        `${overlay}: the server's HTTP door has no client port either`);
  check((config.FORUM_REGISTRY_EDGE_LISTEN_ADDRESS ?? '').endsWith(`:${edgePorts.grpc}`) &&
          ports.grpc === undefined,
        `${overlay}: the edge listens on the grpc container port, the server on none`);
  check(edge.image === server.image && edge.command?.[0] === '/usr/local/bin/forum-registry-edge',
        `${overlay}: the edge runs forum-registry-edge from the server's image`);
  const edgeEnv = Object.fromEntries((edge.env ?? []).map((e) => [e.name, e]));
  const runtimeDir = edgeEnv.FORUM_REGISTRY_EDGE_RUNTIME_DIR?.value;
  const runtimeMount = (edge.volumeMounts ?? []).find((m) => m.mountPath === runtimeDir);
  check(runtimeDir && pod.volumes?.find((v) => v.name === runtimeMount?.name)?.emptyDir,
        `${overlay}: the edge's runtime folder is an emptyDir (read-only root)`);
  check(seconds(config.FORUM_REGISTRY_EDGE_TIMEOUT) >
          seconds(config.FORUM_REGISTRY_WATCH_BOOKMARK_INTERVAL ?? '5s'),
        `${overlay}: the edge's timeout exceeds the watch bookmark interval`);
  check(Number(config.FORUM_REGISTRY_EDGE_MAX_CONNECTIONS) > 0 &&
          Number(config.FORUM_REGISTRY_EDGE_MAX_CONNECTIONS_PER_CLIENT) > 0,
        `${overlay}: the edge bounds connections, in all and per client`);

  // Probes: native gRPC on the server's plaintext health-only port; HTTP
  // on the edge's monitor port. No Service exposes either.
  check(ports.probes && (config.FORUM_REGISTRY_PROBE_ADDRESS ?? '').endsWith(`:${ports.probes}`),
        `${overlay}: the probe address matches the probes container port`);
  check((config.FORUM_REGISTRY_EDGE_MONITOR_ADDRESS ?? '').endsWith(`:${edgePorts['edge-monitor']}`),
        `${overlay}: the edge's monitor address matches its container port`);
  check(!objects.some((o) => o.kind === 'Service' &&
                             o.spec.ports.some((p) => ['probes', 'edge-monitor', ports.probes,
                                                       edgePorts['edge-monitor']]
                                                        .includes(p.targetPort))),
        `${overlay}: no Service exposes a probe port`);
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    check(ports.probes !== undefined && server[probe]?.grpc?.port === ports.probes,
          `${overlay}: ${probe} is a gRPC probe on the probes port ${ports.probes}`);
    check(edge[probe]?.httpGet?.port === edgePorts['edge-monitor'] &&
            edge[probe]?.httpGet?.path === '/healthz',
          `${overlay}: the edge's ${probe} asks its monitor port`);
  }
  check(server.readinessProbe.grpc.service === undefined,
        `${overlay}: readiness asks the server as a whole (follows the database)`);
  check(server.livenessProbe.grpc.service === 'liveness',
        `${overlay}: liveness asks the "liveness" service (not the database)`);

  // Ingress names its sources for every port, admits the edge's grpc port,
  // and neither probe port.
  const policy = at('NetworkPolicy');
  const rules = policy?.spec?.ingress ?? [];
  check(rules.length > 0 && rules.every((r) => (r.from ?? []).length > 0),
        `${overlay}: every ingress rule of the NetworkPolicy names its sources`);
  const admitted = rules.flatMap((r) => (r.ports ?? []).map((p) => p.port));
  check(admitted.includes(edgePorts.grpc), `${overlay}: the NetworkPolicy admits the edge's grpc port`);
  check(!admitted.includes(ports.probes), `${overlay}: the NetworkPolicy admits no one to the probe port`);

  // Ports agree: the server listens where the container port says, and the
  // Services point at named container ports.
  check(config.FORUM_REGISTRY_METRICS_ADDRESS.endsWith(`:${ports.metrics}`),
        `${overlay}: metrics address matches the metrics container port`);
  for (const service of objects.filter((o) => o.kind === 'Service')) {
    for (const port of service.spec.ports) {
      check(port.targetPort in allPorts,
            `${overlay}: Service ${service.metadata.name} port ${port.name} targets a container port`);
    }
    check(service.spec.ports.some((p) => p.targetPort === 'grpc' && edgePorts.grpc),
          `${overlay}: Service ${service.metadata.name} sends gRPC to the edge`);
    check(Object.entries(service.spec.selector).every(
            ([k, v]) => deployment.spec.template.metadata.labels[k] === v),
          `${overlay}: Service ${service.metadata.name} selects the server pods`);
  }
  const headless = objects.find((o) => o.kind === 'Service' && o.spec.clusterIP === 'None');
  check(headless, `${overlay}: a headless Service for client-side balancing`);

  // Security context.
  for (const [name, spec, container] of [['server', pod, server], ['edge', pod, edge],
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
  // Whose credentials: the Secret of the URL, or of PGPASSWORD beside a URL
  // that carries none.
  const secretOf = (e) => {
    const url = e.FORUM_REGISTRY_DATABASE_URL;
    if (url?.valueFrom?.secretKeyRef) return url.valueFrom.secretKeyRef.name;
    if (url?.value && !url.value.includes('@')) {
      return e.PGPASSWORD?.valueFrom?.secretKeyRef?.name;
    }
    return undefined;
  };
  check(secretOf(env) && secretOf(seedEnv) === secretOf(env),
        `${overlay}: the seed Job connects as the server does`);
  const serving = jobEnv.FORUM_REGISTRY_SERVING_ROLE?.value;
  check(secretOf(jobEnv) === secretOf(env) || serving,
        `${overlay}: the migration Job connects as the server, or grants it a serving role`);

  // The grace period covers the preStop pause, the drain and the shutdown,
  // and the edge's pause and hard stop.
  const preStop = Number(server.lifecycle?.preStop?.exec?.command?.[1] ?? NaN);
  const needed = preStop + seconds(config.FORUM_REGISTRY_DRAIN_PERIOD) +
                 seconds(config.FORUM_REGISTRY_SHUTDOWN_TIMEOUT);
  check(pod.terminationGracePeriodSeconds > needed,
        `${overlay}: grace period ${pod.terminationGracePeriodSeconds}s exceeds preStop + drain + shutdown (${needed}s)`);
  const edgeNeeded = Number(edge.lifecycle?.preStop?.exec?.command?.[1] ?? NaN) +
                     seconds(config.FORUM_REGISTRY_EDGE_HARD_STOP_AFTER);
  check(pod.terminationGracePeriodSeconds > edgeNeeded,
        `${overlay}: grace period exceeds the edge's preStop + hard stop (${edgeNeeded}s)`);

  // The database credentials come from a Secret, never from the ConfigMap.
  check(secretOf(env), `${overlay}: the database credentials come from a Secret`);
  for (const e of [env, jobEnv, seedEnv]) {
    check(!(e.FORUM_REGISTRY_DATABASE_URL?.value && e.FORUM_REGISTRY_DATABASE_URL?.valueFrom),
          `${overlay}: a database URL is a value or from a Secret, not both`);
  }
  check(!Object.keys(config).some((k) => k.includes('DATABASE_URL')),
        `${overlay}: no database URL in the ConfigMap`);
  // The seed, run on every deploy, leaves editors' changes alone.
  check(seed?.spec?.template?.spec?.containers?.[0]?.args?.includes('--keep-edits'),
        `${overlay}: the seed Job imports with --keep-edits`);
  if (overlay === 'production') {
    const cluster = at('Cluster');
    check(cluster?.spec?.instances >= 2, 'production: CloudNativePG Cluster with a replica');

    // Acknowledged writes: a commit waits for a replica, and keeps waiting
    // rather than commit alone; one replica may be down without that.
    const sync = cluster?.spec?.postgresql?.synchronous;
    check(sync?.number >= 1 && sync?.dataDurability === 'required',
          'production: synchronous replication, a commit confirmed by a replica (dataDurability required)');
    check(cluster?.spec?.instances >= (sync?.number ?? 0) + 2,
          'production: one replica can be down without writes waiting');
    // Continuous WAL archiving and scheduled base backups, to an object
    // store with credentials from a Secret and a retention.
    const archiver = (cluster?.spec?.plugins ?? []).find(
      (p) => p.name === 'barman-cloud.cloudnative-pg.io' && p.isWALArchiver);
    const store = at('ObjectStore', archiver?.parameters?.barmanObjectName);
    check(archiver && store,
          'production: WAL archived by the Barman Cloud plugin to an ObjectStore of the overlay');
    const credentials = store?.spec?.configuration?.s3Credentials;
    check(credentials?.accessKeyId?.name && credentials?.secretAccessKey?.name &&
            store?.spec?.retentionPolicy,
          'production: the object store has credentials from a Secret and a retention');
    const backup = objects.find((o) => o.kind === 'ScheduledBackup' &&
                                       o.spec.cluster?.name === cluster?.metadata?.name);
    check(backup?.spec?.method === 'plugin' &&
            backup?.spec?.pluginConfiguration?.name === archiver?.name &&
            (backup?.spec?.schedule ?? '').trim().split(/\s+/).length === 6,
          'production: a ScheduledBackup of the Cluster through the plugin (six-field schedule)');
    // Monitoring: the database's exporter and the server's /metrics.
    const monitors = objects.filter((o) => o.kind === 'PodMonitor');
    check(monitors.some((m) => m.spec.selector?.matchLabels?.['cnpg.io/cluster'] === cluster?.metadata?.name &&
                               m.spec.podMetricsEndpoints?.some((e) => e.port === 'metrics')),
          'production: a PodMonitor scrapes the CloudNativePG instances');
    const podLabels = deployment.spec.template.metadata.labels;
    check(monitors.some((m) => Object.entries(m.spec.selector?.matchLabels ?? {}).length > 0 &&
                               Object.entries(m.spec.selector.matchLabels)
                                 .every(([k, v]) => podLabels[k] === v) &&
                               m.spec.podMetricsEndpoints?.some((e) => ports[e.port] !== undefined &&
                                                                       e.port === 'metrics')),
          'production: a PodMonitor scrapes the server pods on their metrics port');
    check((env.FORUM_REGISTRY_READ_DATABASE_URL?.value ?? '').includes(`${cluster?.metadata?.name}-ro`),
          'production: reads go to the Cluster\'s read-only service');
    check((env.FORUM_REGISTRY_DATABASE_URL?.value ?? '').includes(`${cluster?.metadata?.name}-rw`),
          'production: writes go to the Cluster\'s read-write service');

    // Least privilege: migrations as the owner (the Cluster's app Secret),
    // the server as a role the Cluster manages with the server's Secret, and
    // which the migration Job grants rows.
    check(secretOf(jobEnv) === `${cluster?.metadata?.name}-app`,
          'production: migrations run as the schema\'s owner (the Cluster\'s app Secret)');
    const role = (cluster?.spec?.managed?.roles ?? []).find((r) => r.name === serving);
    check(role && role.login && role.passwordSecret?.name === secretOf(env),
          `production: the server connects as ${serving}, a login role of the Cluster with its Secret`);
    check(secretOf(env) !== secretOf(jobEnv), 'production: the server is not the schema\'s owner');

    // Every connection verifies the database's certificate and name against
    // the Cluster's CA, mounted without the CA's key.
    for (const [name, spec, e] of [['server', pod, env],
                                   ['migrate', job.spec.template.spec, jobEnv],
                                   ['seed', seed.spec.template.spec, seedEnv]]) {
      check(e.PGSSLMODE?.value === 'verify-full',
            `production: ${name} connects with sslmode=verify-full`);
      const root = e.PGSSLROOTCERT?.value ?? '';
      const mount = spec.containers[0].volumeMounts?.find((m) => root.startsWith(`${m.mountPath}/`));
      const volume = spec.volumes?.find((v) => v.name === mount?.name);
      check(volume?.secret?.secretName === `${cluster?.metadata?.name}-ca` &&
              volume.secret.items?.length === 1 && volume.secret.items[0].key === 'ca.crt' &&
              root === `${mount.mountPath}/${volume.secret.items[0].path}`,
            `production: ${name} verifies against the Cluster's CA certificate (and not its key)`);
    }

    // TLS on the gRPC port, ended at the edge, with a cert-manager
    // certificate naming every Service, and bearer tokens from mounted keys.
    check(config.FORUM_REGISTRY_EDGE_TLS_CERT && config.FORUM_REGISTRY_EDGE_TLS_KEY,
          'production: TLS on the gRPC port, at the edge');
    check(!config.FORUM_REGISTRY_TLS_CERT,
          'production: the server behind the edge speaks plaintext on loopback');
    const mountOf = (path, container = server) => {
      const mount = container.volumeMounts?.find((m) => (path ?? '').startsWith(`${m.mountPath}/`));
      return [mount, pod.volumes?.find((v) => v.name === mount?.name)];
    };
    const [, tlsVolume] = mountOf(config.FORUM_REGISTRY_EDGE_TLS_CERT, edge);
    const certificate = objects.find((o) => o.kind === 'Certificate' &&
                                            o.spec.secretName === tlsVolume?.secret?.secretName);
    check(certificate, 'production: the TLS files come from a cert-manager Certificate\'s Secret');
    check(mountOf(config.FORUM_REGISTRY_EDGE_TLS_KEY, edge)[1] === tlsVolume,
          'production: the key is mounted from the same Secret');
    check(!mountOf(config.FORUM_REGISTRY_EDGE_TLS_KEY, server)[0],
          'production: the key is mounted into the edge alone');
    const namespace = objects.find((o) => o.kind === 'Namespace')?.metadata?.name;
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const name = service.metadata.name;
      for (const dns of [name, `${name}.${namespace}`, `${name}.${namespace}.svc`]) {
        check((certificate?.spec?.dnsNames ?? []).includes(dns),
              `production: the certificate names ${dns}`);
      }
    }
    check(certificate?.spec?.renewBefore && certificate?.spec?.issuerRef?.name,
          'production: the certificate has an issuer and renews before it expires');
    check(config.FORUM_REGISTRY_JWT_ISSUER && config.FORUM_REGISTRY_JWT_AUDIENCE &&
            mountOf(config.FORUM_REGISTRY_JWT_PUBLIC_KEYS)[1],
          'production: bearer tokens with an issuer, an audience and mounted keys');
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
