// Validates deploy/kubernetes.yaml against the Kubernetes API schemas without
// a cluster. `kubectl apply --dry-run=client` needs an API server to read the
// schemas from (none here), so the same schemas come from the npm package
// kubernetes-models (generated from the Kubernetes OpenAPI spec), installed
// into a scratch directory, never into the project. Two checks per document:
// its JSON-schema validator (types, formats, required fields), and a
// TypeScript excess-property check against its interface, which catches a
// misspelled field that the schema would let through (a
// `readOnlyRootFilesytem: true` would silently not apply). With a cluster
// configured, `kubectl apply --dry-run=client` is run as well.
//
// usage: node test/container/validate-kubernetes.mjs MANIFEST SCRATCH_DIR
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [manifest, work] = process.argv.slice(2);
if (!manifest || !work) {
  process.stderr.write("usage: node validate-kubernetes.mjs MANIFEST SCRATCH_DIR\n");
  process.exit(2);
}
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(repo, "package.json"));
const YAML = require("yaml");
// Pinned: the Kubernetes API version its schemas describe moves with it.
const MODELS = "kubernetes-models@5.1.0";

mkdirSync(work, { recursive: true });
writeFileSync(path.join(work, "package.json"), JSON.stringify({ name: "k8s-validate", private: true, type: "module" }));
execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", MODELS], { cwd: work, stdio: ["ignore", "ignore", "inherit"] });

const docs = YAML.parseAllDocuments(readFileSync(manifest, "utf8"));
const problems = [];
const literals = [];
let n = 0;
for (const d of docs) {
  if (d.errors.length > 0) {
    problems.push(...d.errors.map((e) => `YAML: ${e.message}`));
    continue;
  }
  const doc = d.toJS();
  if (doc === null) continue;
  n++;
  const where = `${doc.kind ?? "?"} ${doc.metadata?.name ?? "?"}`;
  const apiVersion = String(doc.apiVersion ?? "");
  // kubernetes-models lays its models out by apiVersion: v1/ConfigMap, apps/v1/Deployment.
  const dir = apiVersion;
  let Model;
  try {
    const mod = await import(pathToFileURL(path.join(work, "node_modules/kubernetes-models", dir, `${doc.kind}.js`)).href);
    Model = mod[doc.kind];
  } catch {
    problems.push(`${where}: unknown apiVersion/kind ${apiVersion}/${doc.kind}`);
    continue;
  }
  try {
    new Model(doc).validate();
  } catch (e) {
    problems.push(`${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
  literals.push(`import type { I${doc.kind} as T${n} } from "kubernetes-models/${dir}/${doc.kind}";\nexport const d${n}: T${n} = ${JSON.stringify(doc)};`);
}
writeFileSync(path.join(work, "manifest-check.ts"), literals.join("\n") + "\n");
try {
  execFileSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--skipLibCheck", "manifest-check.ts"],
    { cwd: work, encoding: "utf8" },
  );
} catch (e) {
  const out = String(e.stdout ?? "") + String(e.stderr ?? "");
  problems.push(...out.split("\n").filter((l) => l.includes("error TS")).map((l) => `field check: ${l.replace(/^manifest-check\.ts\(\d+,\d+\): /, "")}`));
}

let kubectl = "no cluster configured, so no kubectl apply --dry-run=client";
let cluster = false;
try {
  execFileSync("kubectl", ["version", "--request-timeout=3s"], { stdio: "ignore" });
  cluster = true;
} catch {
  // No kubectl or no API server: the schema checks above stand alone.
}
if (cluster) {
  try {
    execFileSync("kubectl", ["apply", "--dry-run=client", "-f", manifest], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    kubectl = "kubectl apply --dry-run=client ok";
  } catch (e) {
    problems.push(`kubectl apply --dry-run=client: ${String(e.stderr ?? e.message).trim()}`);
  }
}

if (problems.length > 0) {
  process.stdout.write(problems.join("\n") + "\n");
  process.exit(1);
}
process.stdout.write(`${n} documents valid against the Kubernetes schemas (${MODELS}); ${kubectl}\n`);
