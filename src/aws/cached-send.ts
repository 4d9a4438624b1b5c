// Sends a command through a client made with the SDK's option
// `cacheMiddleware: true`, whose middleware stack is resolved once per command
// class rather than on every call. Resolving it was a third of a quiet
// LookupEvents call's CPU (figure 6) and most of the SDK's per-call cost on
// the EC2 reader's path (figure 7). Both the sweep (trail/collect.ts) and the
// EC2 collectors (collect.ts, collect-interfaces.ts) send through here.
//
// The SDK uses that cache only for a send without options, and the abort
// signal is an option; so each call's signal, and what it wants done with a
// response (the stream reader), is kept with the client, keyed by the call's
// input object (the SDK hands the command itself down the stack as `args`),
// and three things added once per client carry it where the SDK would:
//   - a middleware at the start of the stack puts the signal in the handler
//     context, where the SDK's retry waits look for it. That context is one
//     object per command class on a cached stack, so only one call per client
//     and command class uses the cache at a time; another sent meanwhile goes
//     with its signal as an option (uncached), so it can never take the
//     other's. Groups and interfaces, read at once on one client, are two
//     classes and both stay cached.
//   - a middleware at the end of the stack ties each attempt's HTTP request
//     to the call's signal, and hands the raw response to the call's hook
//     before the SDK's deserialiser sees it.
//   - the client's request handler is wrapped to give a request its signal.

/** The response a hook sees: the raw HTTP response of one attempt. */
export interface RawResponse {
  statusCode?: number;
  /** As Node received them (names in lower case). */
  headers?: Record<string, string | undefined>;
  body?: unknown;
}

/** Runs on every attempt's response before the SDK's deserialiser; may replace `body`. */
export type ResponseHook = (response: RawResponse) => Promise<void>;

/** The parts of an SDK client this module uses (every generated client has them). */
export interface CachingClient {
  config: unknown;
  middlewareStack: unknown;
  send(command: never, options?: never): Promise<unknown>;
}

/** The parts of an SDK command this module uses. */
export interface SentCommand {
  input: object;
}

interface Call {
  signal: AbortSignal | undefined;
  /** Sent through the cached stack (its signal is not in the options). */
  cached: boolean;
  onResponse: ResponseHook | undefined;
}

interface ClientState {
  /** Calls in flight, by their input object. */
  calls: WeakMap<object, Call>;
  /** Each attempt's HTTP request, to its call's signal. */
  requests: WeakMap<object, AbortSignal>;
  /** Command classes with a call in flight through the cached stack. */
  busy: Set<unknown>;
}

type Handle = (request: unknown, options?: { abortSignal?: AbortSignal }) => Promise<unknown>;
type Args = { input: object; request?: unknown };
type Next = (args: Args) => Promise<{ response: unknown }>;
type Middleware = (next: Next, context: Record<string, unknown>) => (args: Args) => Promise<{ response: unknown }>;
interface Stack {
  add(mw: Middleware, opts: { step: "initialize" | "deserialize"; priority?: "high" | "low"; name: string }): void;
}

// The SDK's handler-context key for per-call settings (@smithy/types SMITHY_CONTEXT_KEY).
const SMITHY_CONTEXT_KEY = "__smithy_context";
const states = new WeakMap<object, ClientState>();
const NEVER = new AbortController().signal;

function stateOf(client: CachingClient): ClientState {
  const known = states.get(client);
  if (known !== undefined) return known;
  const st: ClientState = { calls: new WeakMap(), requests: new WeakMap(), busy: new Set() };
  const config = client.config as { requestHandler: { handle: Handle } };
  const inner = config.requestHandler;
  const handle: Handle = (request, options = {}) => {
    if (options.abortSignal !== undefined) return inner.handle(request, options);
    const signal = request !== null && typeof request === "object" ? st.requests.get(request) : undefined;
    return inner.handle(request, signal === undefined ? options : { ...options, abortSignal: signal });
  };
  config.requestHandler = new Proxy(inner, {
    get(target, key) {
      if (key === "handle") return handle;
      const value: unknown = Reflect.get(target, key);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const stack = client.middlewareStack as Stack;
  stack.add(
    (next, context) => async (args) => {
      const call = st.calls.get(args.input);
      if (call === undefined || !call.cached) return next(args);
      // The context outlives the call on a cached stack: cleared after, so a
      // later call (or one sent around this module) never sees this signal.
      const smithy = (context[SMITHY_CONTEXT_KEY] ??= {}) as Record<string, unknown>;
      smithy.abortSignal = call.signal;
      try {
        return await next(args);
      } finally {
        delete smithy.abortSignal;
      }
    },
    { step: "initialize", priority: "high", name: "sgwatchCallSignal" },
  );
  // "low" in the deserialize step: after the SDK's deserialiser, next to the
  // request handler, so it sees each attempt's request as sent and its
  // response first.
  stack.add(
    (next) => async (args) => {
      const call = st.calls.get(args.input);
      if (call === undefined) return next(args);
      if (call.signal !== undefined && args.request !== null && typeof args.request === "object") st.requests.set(args.request, call.signal);
      const out = await next(args);
      if (call.onResponse !== undefined) await call.onResponse(out.response as RawResponse);
      return out;
    },
    { step: "deserialize", priority: "low", name: "sgwatchCallResponse" },
  );
  // A stack resolved before these were added would miss them.
  delete (client as { handlers?: unknown }).handlers;
  states.set(client, st);
  return st;
}

/**
 * Sends `command` with `client` (made with cacheMiddleware: true), ended by
 * `signal`; `onResponse` sees each attempt's raw response before the SDK's
 * deserialiser. Returns or throws what the SDK's send does.
 */
export async function sendCached<O>(client: CachingClient, command: SentCommand, signal?: AbortSignal, onResponse?: ResponseHook): Promise<O> {
  const st = stateOf(client);
  const kind = command.constructor;
  const cached = !st.busy.has(kind);
  const call: Call = { signal, cached, onResponse };
  st.calls.set(command.input, call);
  const send = client.send.bind(client) as (c: SentCommand, o?: { abortSignal: AbortSignal }) => Promise<O>;
  if (!cached) {
    try {
      return await send(command, { abortSignal: signal ?? NEVER });
    } finally {
      st.calls.delete(command.input);
    }
  }
  st.busy.add(kind);
  try {
    return await send(command);
  } finally {
    st.busy.delete(kind);
    st.calls.delete(command.input);
  }
}
