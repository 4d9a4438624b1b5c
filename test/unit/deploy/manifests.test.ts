// The deployment files under deploy/ say what the Dockerfile and the README
// promise: non-root, read-only root filesystem, the database on its own
// volume, one writer, the health check, the SMTP password from a secret. The
// container test (test/container/run.sh) runs the image and compose.yaml for
// real and validates kubernetes.yaml against the API schemas; this file holds
// the three manifests to the same guarantees on every machine, and feeds the
// config and approval records they ship through sgwatch's own loaders.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import { parseApprovalsText } from "../../../src/approvals/load.js";
import { DEFAULT_MAX_WINDOW_MS } from "../../../src/approvals/schema.js";

const root = path.resolve(import.meta.dirname, "../../..");
const read = (f: string): string => readFileSync(path.join(root, f), "utf8");

/** A parsed YAML or JSON value, walked by key. */
type Doc = Record<string, unknown>;
const obj = (v: unknown): Doc => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`expected a mapping, got ${JSON.stringify(v)}`);
  return v as Doc;
};
const list = (v: unknown): unknown[] => {
  if (!Array.isArray(v)) throw new Error(`expected a list, got ${JSON.stringify(v)}`);
  return v;
};

/** The Dockerfile's health check command, e.g. ["sgwatch","status","--health"]. */
function dockerfileHealthcheck(): string[] {
  const m = /HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/.exec(read("Dockerfile"));
  if (!m?.[1]) throw new Error("Dockerfile has no HEALTHCHECK CMD [...]");
  return JSON.parse(m[1]) as string[];
}

describe("Dockerfile", () => {
  it("runs as node, keeps its HEALTHCHECK and puts the database on /data", () => {
    const text = read("Dockerfile");
    expect(text).toMatch(/^USER node$/m);
    expect(dockerfileHealthcheck()).toEqual(["sgwatch", "status", "--health"]);
    expect(text).toMatch(/SGWATCH_DATABASE=\/data\/sgwatch\.db/);
    expect(text).toMatch(/^VOLUME \["\/data"\]$/m);
  });
});

describe("deploy/compose.yaml", () => {
  const service = obj(obj(obj(parseYaml(read("deploy/compose.yaml"))).services).sgwatch);

  it("runs read-only with /tmp in memory, the database on a named volume, config and approvals read-only", () => {
    expect(service.read_only).toBe(true);
    expect(service.tmpfs).toEqual(["/tmp"]);
    const volumes = list(service.volumes).map(String);
    expect(volumes).toContain("sgwatch-data:/data");
    expect(volumes.some((v) => v.endsWith(":/config/config.yaml:ro"))).toBe(true);
    expect(volumes.some((v) => v.endsWith(":/config/approvals:ro"))).toBe(true);
    expect(service.cap_drop).toEqual(["ALL"]);
  });

  it("passes the SMTP password through from the environment, never as a value in the file", () => {
    expect(list(service.environment)).toContain("SGWATCH_SMTP_PASSWORD");
    const lines = read("deploy/compose.yaml").split("\n").filter((l) => !l.trimStart().startsWith("#"));
    expect(lines.filter((l) => /SGWATCH_SMTP_PASSWORD\s*[=:]/.test(l))).toEqual([]);
  });

  it("has the image's health check, a restart policy, and the 10 s stop the daemon needs", () => {
    const hc = obj(service.healthcheck);
    expect(hc.test).toEqual(["CMD", ...dockerfileHealthcheck()]);
    expect(service.restart).toBe("unless-stopped");
    expect(service.stop_grace_period).toBe("10s");
  });
});

describe("deploy/kubernetes.yaml", () => {
  const docs = parseAllDocuments(read("deploy/kubernetes.yaml")).map((d) => obj(d.toJS()));
  const find = (kind: string, name: string): Doc => {
    const d = docs.find((x) => x.kind === kind && obj(x.metadata).name === name);
    if (!d) throw new Error(`no ${kind} ${name}`);
    return d;
  };
  const deployment = find("Deployment", "sgwatch");
  const spec = obj(deployment.spec);
  const pod = obj(obj(spec.template).spec);
  const container = obj(list(pod.containers)[0]);
  const configText = String(obj(find("ConfigMap", "sgwatch-config").data)["config.yaml"]);
  const config = parseConfigText(configText, "/etc/sgwatch/config.yaml", {});

  it("is one replica replaced with Recreate: one writer per database", () => {
    expect(spec.replicas).toBe(1);
    expect(obj(spec.strategy).type).toBe("Recreate");
  });

  it("runs as non-root with a read-only root filesystem and no capability", () => {
    const podSc = obj(pod.securityContext);
    expect(podSc.runAsNonRoot).toBe(true);
    expect(podSc.runAsUser).toBe(1000);
    const sc = obj(container.securityContext);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(obj(sc.capabilities).drop).toEqual(["ALL"]);
  });

  it("ships a config sgwatch accepts, whose /healthz the liveness probe can reach", () => {
    expect(config.http).toEqual({ port: 9108, host: "0.0.0.0" });
    const probe = obj(obj(container.livenessProbe).httpGet);
    expect(probe.path).toBe("/healthz");
    const port = list(container.ports).map(obj).find((p) => p.name === probe.port);
    expect(port?.containerPort).toBe(config.http?.port);
  });

  it("mounts the database from the PVC, the config and approvals from ConfigMaps, read-only", () => {
    const mounts = list(container.volumeMounts).map(obj);
    const volumes = list(pod.volumes).map(obj);
    const source = (mountPath: string): Doc => {
      const m = mounts.find((x) => x.mountPath === mountPath);
      const v = volumes.find((x) => x.name === m?.name);
      if (!m || !v) throw new Error(`nothing mounted at ${mountPath}`);
      return { ...v, readOnly: m.readOnly ?? false };
    };
    expect(path.dirname(config.database)).toBe("/data");
    expect(obj(source("/data").persistentVolumeClaim).claimName).toBe(obj(find("PersistentVolumeClaim", "sgwatch-data").metadata).name);
    const env = list(container.env).map(obj);
    const configPath = String(env.find((e) => e.name === "SGWATCH_CONFIG")?.value);
    expect(obj(source(path.dirname(configPath)).configMap).name).toBe("sgwatch-config");
    expect(source(path.dirname(configPath)).readOnly).toBe(true);
    expect(obj(source(config.approvals.dir).configMap).name).toBe("sgwatch-approvals");
    expect(source(config.approvals.dir).readOnly).toBe(true);
    expect(obj(source("/tmp").emptyDir).medium).toBe("Memory");
  });

  it("ships approval records sgwatch accepts", () => {
    const data = obj(find("ConfigMap", "sgwatch-approvals").data);
    for (const [name, text] of Object.entries(data)) {
      const result = parseApprovalsText(String(text), name, { maxWindowMs: DEFAULT_MAX_WINDOW_MS });
      expect(result.problems).toEqual([]);
      expect(result.records.length).toBeGreaterThan(0);
    }
  });

  it("takes the SMTP password from a Secret under the name the config reads, and AWS credentials from IRSA", () => {
    const env = list(container.env).map(obj);
    const password = env.find((e) => e.name === config.alerts.email?.passwordEnv);
    expect(obj(obj(password?.valueFrom).secretKeyRef).key).toBe("password");
    const sa = find("ServiceAccount", String(pod.serviceAccountName));
    expect(obj(obj(sa.metadata).annotations)["eks.amazonaws.com/role-arn"]).toMatch(/^arn:aws:iam::\d{12}:role\//);
  });
});

describe("deploy/ecs-task-definition.json", () => {
  const task = obj(JSON.parse(read("deploy/ecs-task-definition.json")));
  const container = obj(list(task.containerDefinitions)[0]);

  it("runs as uid 1000 on a read-only root filesystem under its own task role", () => {
    expect(task.taskRoleArn).toMatch(/^arn:aws:iam::\d{12}:role\//);
    expect(container.user).toBe("1000:1000");
    expect(container.readonlyRootFilesystem).toBe(true);
    expect(obj(obj(container.linuxParameters).capabilities).drop).toEqual(["ALL"]);
  });

  it("keeps /data on a persistent volume and /tmp writable", () => {
    const mounts = list(container.mountPoints).map(obj);
    const volumes = list(task.volumes).map(obj);
    const data = mounts.find((m) => m.containerPath === "/data");
    expect(data?.readOnly).toBe(false);
    expect(volumes.find((v) => v.name === data?.sourceVolume)?.efsVolumeConfiguration).toBeDefined();
    expect(mounts.find((m) => m.containerPath === "/config")?.readOnly).toBe(true);
    expect(mounts.find((m) => m.containerPath === "/tmp")?.readOnly).toBe(false);
  });

  it("has the image's health check, the SMTP password from a secret, and time to stop", () => {
    expect(obj(container.healthCheck).command).toEqual(["CMD", ...dockerfileHealthcheck()]);
    const secrets = list(container.secrets).map(obj);
    expect(secrets.map((s) => s.name)).toContain("SGWATCH_SMTP_PASSWORD");
    expect(list(container.environment).map(obj).map((e) => e.name)).not.toContain("SGWATCH_SMTP_PASSWORD");
    expect(Number(container.stopTimeout)).toBeGreaterThanOrEqual(10);
  });
});
