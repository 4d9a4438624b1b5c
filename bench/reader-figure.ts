// Figure 7 (issue 14, section 2): the reader alone, CPU per target-poll of
// each aws.reader, measured in one child process (bench/reader-process.ts),
// alternating, with the bodies of one fleet-sized target served from memory.
// The SDK's deserialiser is the floor beside sgwatch's streaming reader.
// Under --profile the child runs only the configured reader (--reader), so
// its profile is of one path.
import type { ResponseReader } from "../src/aws/collect.js";
import { ChildLink } from "./ipc.js";
import type { BenchOptions } from "./options.js";
import type { ReaderCommands } from "./reader-process.js";
import type { Row } from "./report.js";
import { fmtMs, fmtRatio, median } from "./stats.js";

/** The numbers behind the rows. */
export interface ReaderResult {
  groups: number;
  rules: number;
  /** Bytes of the two bodies served. */
  bytes: { securityGroups: number; networkInterfaces: number };
  polls: number;
  rounds: number;
  /** CPU ms per target-poll, one value per round, per reader measured. */
  perRound: Record<ResponseReader, number[]>;
}

/** The target for CPU per target-poll. */
const TARGET_MS = 2;

export async function runReader(o: BenchOptions, workDir: string, log: (s: string) => void): Promise<{ rows: Row[]; result: ReaderResult }> {
  const readers: ResponseReader[] = o.profile ? [o.reader] : ["sdk", "stream"];
  const child = ChildLink.start<ReaderCommands>("reader", new URL("./reader-process.js", import.meta.url), o.profile ? ["--cpu-prof", `--cpu-prof-dir=${workDir}`] : []);
  let measured: ReaderCommands["measure"]["result"];
  try {
    measured = await child.call("measure", { groups: o.fleetGroups, rules: o.fleetRules, polls: o.readerPolls, rounds: o.readerRounds, readers });
  } finally {
    await child.stop();
  }
  const result: ReaderResult = { groups: o.fleetGroups, rules: o.fleetRules, bytes: measured.bytes, polls: o.readerPolls, rounds: o.readerRounds, perRound: measured.perRound };
  const sdk = median(result.perRound.sdk);
  const stream = median(result.perRound.stream);
  log(`reader: sdk ${result.perRound.sdk.map(fmtMs).join(" ")}; stream ${result.perRound.stream.map(fmtMs).join(" ")} (CPU per target-poll, by round)`);
  const what = `7. reader alone, CPU per target-poll (${o.fleetGroups} groups/${o.fleetRules} rules + ${o.fleetGroups} interfaces, bodies from memory)`;
  const rows: Row[] = [];
  if (readers.includes("stream")) {
    const beside = readers.includes("sdk") ? ` (sdk ${fmtMs(sdk)}, stream/sdk ${fmtRatio(stream / sdk)})` : "";
    rows.push({ figure: `${what}, stream`, measured: `${fmtMs(stream)}${beside}`, target: `≤ ${TARGET_MS} ms`, pass: stream <= TARGET_MS, value: stream });
  }
  if (readers.includes("sdk")) rows.push({ figure: "7. the same with the SDK's deserialiser (aws.reader: sdk), the floor", measured: fmtMs(sdk), target: "", pass: null, value: sdk });
  return { rows, result };
}
