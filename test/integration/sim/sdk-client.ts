// Shared by the simulator's integration tests: a real EC2Client pointed at a
// simulator, and a structural fingerprint of SDK output objects.

import { EC2Client } from "@aws-sdk/client-ec2";

/** A real SDK client for `endpoint`; maxAttempts 1 so raw faults are visible. */
export function ec2Client(
  endpoint: string,
  opts: { region?: string; accessKeyId?: string; maxAttempts?: number } = {},
): EC2Client {
  return new EC2Client({
    endpoint,
    region: opts.region ?? "us-east-1",
    credentials: { accessKeyId: opts.accessKeyId ?? "AKIASIMTEST000000001", secretAccessKey: "not-a-real-secret" },
    maxAttempts: opts.maxAttempts ?? 1,
  });
}

/**
 * The structure of a deserialized SDK value: every key path with its type,
 * arrays collapsed to `[]` and their elements' structures merged, `$metadata`
 * left out. Two responses of equivalent state have equal shapes.
 */
export function shapeOf(value: unknown): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) {
      out.add(`${path}:array`);
      for (const item of v) walk(item, `${path}[]`);
    } else if (typeof v === "object" && v !== null && !(v instanceof Date)) {
      out.add(`${path}:object`);
      for (const [k, child] of Object.entries(v)) {
        if (k === "$metadata" || child === undefined) continue;
        walk(child, path === "" ? k : `${path}.${k}`);
      }
    } else {
      out.add(`${path}:${typeof v}`);
    }
  };
  walk(value, "");
  return [...out].sort();
}

/** Rejection of `p`, as an SDK error with name and status. */
export async function sdkError(p: Promise<unknown>): Promise<Error & { name: string; $metadata?: { httpStatusCode?: number }; $fault?: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Error) return e as Error & { $metadata?: { httpStatusCode?: number } };
    throw new Error(`rejected with a non-Error: ${String(e)}`);
  }
  throw new Error("expected the call to fail, but it succeeded");
}
