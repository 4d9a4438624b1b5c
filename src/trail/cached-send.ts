// LookupEvents through a client whose middleware stack the SDK resolves once
// per command class (the client option `cacheMiddleware: true`) rather than
// on every call. On a quiet fleet the sweep is one call a target and cycle,
// and resolving the stack was a third of that call's CPU (figure 6 of
// `npm run bench`: 1.14–1.47 → 0.89–0.91 ms a target).
//
// The SDK uses that cache only for a send without options, and the abort
// signal is an option. So the signal of the one call in flight is kept with
// the client: a middleware puts it in the handler context, where the SDK's
// retry waits look for it, and the client's request handler is wrapped to
// give it to the HTTP request. The sweep's calls on one account-region are
// sequential; a call made while another is in flight on the same client is
// sent with its signal as an option (uncached), so it can never take the
// other's.
import type { CloudTrailClient, LookupEventsCommand, LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";

/** The one call in flight on a client, and its signal. */
interface Slot {
  input: object | null;
  signal: AbortSignal | undefined;
}

type Handle = (request: unknown, options?: { abortSignal?: AbortSignal }) => Promise<unknown>;

// The SDK's handler-context key for per-call settings (@smithy/types SMITHY_CONTEXT_KEY).
const SMITHY_CONTEXT_KEY = "__smithy_context";
const slots = new WeakMap<CloudTrailClient, Slot>();
const NEVER = new AbortController().signal;

function slotOf(client: CloudTrailClient): Slot {
  let slot = slots.get(client);
  if (slot !== undefined) return slot;
  const s: Slot = { input: null, signal: undefined };
  slot = s;
  const config = client.config as unknown as { requestHandler: { handle: Handle } };
  const inner = config.requestHandler;
  const handle: Handle = (request, options = {}) => inner.handle(request, options.abortSignal === undefined && s.signal !== undefined ? { ...options, abortSignal: s.signal } : options);
  config.requestHandler = new Proxy(inner, {
    get(target, key) {
      if (key === "handle") return handle;
      const value: unknown = Reflect.get(target, key);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (args.input === s.input) {
        const c = context as Record<string, Record<string, unknown> | undefined>;
        const smithy = (c[SMITHY_CONTEXT_KEY] ??= {});
        smithy.abortSignal = s.signal;
      }
      return next(args);
    },
    { step: "initialize", name: "sgwatchCallSignal" },
  );
  slots.set(client, slot);
  return slot;
}

/** Sends `command` with `signal`, through the client's cached stack when no other call is in flight on it. */
export async function sendLookup(client: CloudTrailClient, command: LookupEventsCommand, signal?: AbortSignal): Promise<LookupEventsCommandOutput> {
  const slot = slotOf(client);
  if (slot.input !== null) return client.send(command, { abortSignal: signal ?? NEVER });
  slot.input = command.input;
  slot.signal = signal;
  try {
    return await client.send(command);
  } finally {
    slot.input = null;
    slot.signal = undefined;
  }
}
