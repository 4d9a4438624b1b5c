// The files `sgwatch demo` writes before it starts: the daemon's config and
// the approval records the story needs, under ./data/demo/ of the working
// directory, so a person can open them and see what the daemon was told.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Where the demo writes, relative to the working directory. */
export interface DemoPaths {
  /** ./data */
  dataDir: string;
  /** The history database. */
  database: string;
  /** The daemon's full JSON log of the run. */
  logFile: string;
  /** Received emails, as .eml files. */
  mailDir: string;
  /** The config the daemon ran with. */
  configFile: string;
  /** The approval records. */
  approvalsDir: string;
}

export function demoPaths(cwd: string): DemoPaths {
  const dataDir = path.resolve(cwd, "data");
  return {
    dataDir,
    database: path.join(dataDir, "demo.db"),
    logFile: path.join(dataDir, "demo.log"),
    mailDir: path.join(dataDir, "demo-mail"),
    configFile: path.join(dataDir, "demo", "config.yaml"),
    approvalsDir: path.join(dataDir, "demo", "approvals"),
  };
}

/** Writes the config (simulator endpoint, mail sink port) and the approval records, windows relative to `now`. */
export function writeDemoFiles(p: DemoPaths, endpoint: string, smtpPort: number, now: Date): void {
  mkdirSync(p.approvalsDir, { recursive: true });
  writeFileSync(
    p.configFile,
    [
      "# Written by `sgwatch demo`: the daemon's config for this run.",
      `database: ${p.database}`,
      'schedule: "*/2 * * * * *"   # every 2 seconds, for the demo only',
      "targets:",
      "  - label: demo-prod",
      '    account: "123456789012"',
      "    regions: [us-east-1]",
      `    endpoint: ${endpoint}`,
      "    cloudtrail:   # the second sensor: who made each change, and calls that were refused",
      "      enabled: true",
      "      # Who may change security groups here, and from where (docs/cloudtrail.md, Actor policy):",
      "      # a change made from anywhere else is critical, approved or not.",
      "      actors:",
      '        principals: ["arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/deploy-bot"]',
      "        networks: [10.0.0.0/8]   # the office and the VPCs",
      "approvals:",
      `  dir: ${p.approvalsDir}`,
      "alerts:",
      "  log:",
      "    minSeverity: low",
      "  email:",
      "    host: 127.0.0.1",
      `    port: ${smtpPort}`,
      "    from: sgwatch@demo.example",
      "    to: [ops@demo.example]",
      "    minSeverity: low",
      "  # The data team gets the changes to its own groups (tag team=data), in place of ops.",
      "  routes:",
      "    - name: data-team",
      "      match: { tags: { team: data } }",
      "      email: [data-team@demo.example]",
      "  retry:",
      "    baseDelay: 1s",
      "# Rules no approval record can cover (docs/guardrails.md).",
      "guardrails:",
      "  - id: no-world-admin",
      "    reason: SSH, RDP and MySQL are never open to the internet",
      "    forbid:",
      "      - { protocol: tcp, ports: 22, source: world }",
      "      - { protocol: tcp, ports: 3389, source: world }",
      "      - { protocol: tcp, ports: 3306, source: world }",
      "aws:",
      "  maxAttempts: 2   # the demo's simulated API outage fails its poll quickly",
      "",
    ].join("\n"),
  );
  const hours = (h: number): string => new Date(now.getTime() + h * 3_600_000).toISOString();
  writeFileSync(
    path.join(p.approvalsDir, "CHG-1042.yaml"),
    [
      "# An approved change record: the app tier gets HTTPS from the internal network.",
      "id: CHG-1042",
      "reason: Internal load balancer health checks on 443",
      "approvedBy: alice",
      `window: { from: "${hours(-1)}", until: "${hours(8)}" }`,
      "groupName: app",
      "changes:",
      "  - action: add",
      "    direction: ingress",
      "    protocol: tcp",
      "    ports: 443",
      "    source: 10.0.0.0/8",
      "---",
      "# Approves 8443 from one /16 only: opening it to all of 10.0.0.0/8 is wider than approved.",
      "id: CHG-1043",
      "reason: Admin console for the platform team",
      "approvedBy: carol",
      `window: { from: "${hours(-1)}", until: "${hours(8)}" }`,
      "groupName: app",
      "changes:",
      "  - action: add",
      "    protocol: tcp",
      "    ports: 8443",
      "    source: 10.20.0.0/16",
      "",
    ].join("\n"),
  );
  writeFileSync(
    path.join(p.approvalsDir, "CHG-1039.yaml"),
    [
      "# Approved for yesterday and never carried out: sgwatch reports it once, so a",
      "# planned change that silently did not happen is noticed.",
      "id: CHG-1039",
      "reason: Metrics exporter on the app tier",
      "approvedBy: dave",
      `window: { from: "${hours(-30)}", until: "${hours(-22)}" }`,
      "groupName: app",
      "changes:",
      "  - action: add",
      "    protocol: tcp",
      "    ports: 9100",
      "    source: 10.0.0.0/16",
      "",
    ].join("\n"),
  );
}
