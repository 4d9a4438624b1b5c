// Request/response over a forked child's IPC channel. The benchmark keeps the
// simulator, the raw fetch and the daemon each in its own process, so their
// CPU and peak RSS are measured apart; this is the one place that talks to them.
import { fork, type ChildProcess } from "node:child_process";

/** Commands a child answers: name -> argument and result types. */
export type CommandMap<C> = { [K in keyof C]: { args: unknown; result: unknown } };

/** Handlers of a child, one per command. */
export type Handlers<C extends CommandMap<C>> = { [K in keyof C]: (args: C[K]["args"]) => Promise<C[K]["result"]> | C[K]["result"] };

interface Request {
  id: number;
  cmd: string;
  args: unknown;
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** Parent side: a child process and a typed `call` to it. */
export class ChildLink<C extends CommandMap<C>> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private exited: Error | null = null;

  private constructor(
    /** For messages: which child failed. */
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on("message", (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${name}: ${m.error}`));
    });
    child.on("exit", (code, signal) => {
      this.exited = new Error(`${name} exited (code ${String(code)}, signal ${String(signal)})`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  /** Forks `entry` (a compiled .js file) with an IPC channel; stdout/stderr pass through. */
  static start<C extends CommandMap<C>>(name: string, entry: URL, execArgv: string[] = []): ChildLink<C> {
    const child = fork(entry, [], {
      execArgv,
      // The SDK warns about Node versions on every client; the table should stay readable.
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    return new ChildLink<C>(name, child);
  }

  call<K extends keyof C & string>(cmd: K, args: C[K]["args"]): Promise<C[K]["result"]> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<C[K]["result"]>((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as C[K]["result"]), reject });
      const req: Request = { id, cmd, args };
      this.child.send(req);
    });
  }

  /** Asks the child to leave (closing the channel ends its event loop) and waits for it. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  }
}

/** Child side: answer requests with `handlers` until the parent disconnects. */
export function serve<C extends CommandMap<C>>(handlers: Handlers<C>, onDisconnect: () => Promise<void> | void = () => undefined): void {
  if (!process.send) throw new Error("this file is a benchmark child process; run it through bench/main");
  // One request at a time: a measurement must never overlap another in the same process.
  let queue: Promise<void> = Promise.resolve();
  process.on("message", (req: Request) => {
    queue = queue.then(async () => {
      let reply: Reply;
      try {
        const handler = handlers[req.cmd as keyof C];
        if (!handler) throw new Error(`unknown command ${req.cmd}`);
        reply = { id: req.id, ok: true, result: await handler(req.args as C[keyof C]["args"]) };
      } catch (e) {
        reply = { id: req.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
      }
      process.send?.(reply);
    });
  });
  process.on("disconnect", () => {
    void queue.then(onDisconnect).then(() => process.exit(0));
  });
}
