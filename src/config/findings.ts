// What check-config found, in one shape for its text and its JSON: every
// problem (the daemon would fail or misbehave on it) and every warning.
import { formatConfigProblem, type ConfigProblem } from "./load.js";

/** One problem or warning, with where it comes from. */
export interface Finding {
  /** Which part of the setup it is about. */
  about: "config" | "environment" | "approvals" | "database";
  /** What is wrong, naming the key, variable, file or record. */
  message: string;
  /** Dotted config key path, when it is about a key. */
  key?: string;
  /** Line in the config or approvals file, when known. */
  line?: number;
  /** Environment variable concerned, when it is about one. */
  env?: string;
  /** Approvals file (or directory) concerned. */
  file?: string;
}

/** A config problem (from the file or an override) as a finding. */
export function configFinding(p: ConfigProblem): Finding {
  return {
    about: p.env ? "environment" : "config",
    message: formatConfigProblem(p),
    ...(p.key ? { key: p.key } : {}),
    ...(p.line ? { line: p.line } : {}),
    ...(p.env ? { env: p.env } : {}),
  };
}
