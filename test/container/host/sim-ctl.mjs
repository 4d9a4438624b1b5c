// The container test's hands on the host: drift made through the real AWS
// SDK (as a stolen key would), faults through the simulator's admin endpoint,
// and plain HTTP probes. Each command prints one line and exits 0, or names
// what went wrong and exits 1.
//
// usage: node test/container/host/sim-ctl.mjs open-ssh ENDPOINT
//        node test/container/host/sim-ctl.mjs fault ENDPOINT KIND
//        node test/container/host/sim-ctl.mjs clear-faults ENDPOINT
//        node test/container/host/sim-ctl.mjs http-status URL
//        node test/container/host/sim-ctl.mjs free-port
import { createServer } from "node:net";
import { EC2Client, DescribeSecurityGroupsCommand, AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";

const [command, arg, extra] = process.argv.slice(2);

// Not sgwatch's own key: the drift is someone else's doing.
const INTRUDER = { accessKeyId: "AKIACONTAINERTEST999", secretAccessKey: "container-test-intruder-secret" };

async function openSsh(endpoint) {
  const ec2 = new EC2Client({ region: "us-east-1", endpoint, credentials: INTRUDER, maxAttempts: 1 });
  try {
    const groups = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-name", Values: ["bastion"] }] }));
    const id = groups.SecurityGroups?.[0]?.GroupId;
    if (!id) throw new Error("the simulator has no group named bastion (is it seeded with the demo account?)");
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: id,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "container test" }] }],
      }),
    );
    return `opened tcp/22 to 0.0.0.0/0 on ${id}`;
  } finally {
    ec2.destroy();
  }
}

async function admin(endpoint, method, body) {
  const res = await fetch(new URL("/__sim/faults", endpoint), {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /__sim/faults: HTTP ${res.status} ${text}`);
  return text;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => resolve(String(typeof address === "object" && address ? address.port : 0)));
    });
  });
}

async function main() {
  switch (command) {
    case "open-ssh":
      return openSsh(arg);
    case "fault":
      return admin(arg, "POST", { kind: extra, action: "DescribeSecurityGroups" });
    case "clear-faults":
      return admin(arg, "DELETE");
    case "http-status": {
      const res = await fetch(arg, { signal: AbortSignal.timeout(10_000) });
      await res.text();
      return String(res.status);
    }
    case "free-port":
      return freePort();
    default:
      throw new Error(`unknown command ${command ?? "(none)"}`);
  }
}

main().then(
  (line) => process.stdout.write(line + "\n"),
  (err) => {
    process.stderr.write(`sim-ctl ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
