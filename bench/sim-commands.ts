// What the benchmark's simulator process can be asked to do over IPC.

/** Requests the simulator saw since the last `takeRequests`. */
export interface RequestCounts {
  /** Every API call received. */
  total: number;
  /** Calls answered with an injected throttle. */
  throttled: number;
  /** Calls that failed for any other reason (should stay 0). */
  otherErrors: number;
  /** CPU time the simulator spent since the last `takeRequests`, ms (it shares the machine with the daemon). */
  cpuMs: number;
}

export interface SimCommands {
  /** The base URL to give the SDK. */
  endpoint: { args: Record<string, never>; result: string };
  /** One big account × region (figure 1). */
  generateAccount: { args: { account: string; region: string; groups: number; rules: number; seed: number }; result: { groups: number; rules: number } };
  /** Many small account × regions, an access key per account (figure 4). */
  generateFleet: {
    args: { accounts: string[]; regions: string[]; groupsPerTarget: number; rulesPerTarget: number; seed: number; accessKeyPrefix: string };
    result: { targets: number; rules: number };
  };
  /**
   * Network interfaces over the account's groups (blast radius): `perGroup`
   * per group on average, each using one group, a `publicShare` of them with
   * a public address.
   */
  addInterfaces: { args: { account: string; region: string; perGroup: number; publicShare: number; seed: number }; result: { interfaces: number } };
  /** Random rule changes (add, remove, describe) in one account × region. */
  drift: { args: { account: string; region: string; count: number; seed: number }; result: { changes: number } };
  /** Added latency per call; 0 removes it. */
  setLatency: { args: { ms: number }; result: null };
  /** Throttle this fraction of calls; 0 removes it. */
  setThrottle: { args: { probability: number; seed: number }; result: null };
  /** Counts of requests since the last call, and forget them. */
  takeRequests: { args: Record<string, never>; result: RequestCounts };
  /** LookupEvents calls allowed per second per account-region (AWS: 2; ThrottlingException beyond); null: unlimited. */
  setLookupRateLimit: { args: { perSecond: number | null }; result: null };
  /** CloudTrail LookupEvents counters over every account-region, since the simulator started. */
  lookupStats: { args: Record<string, never>; result: LookupTotals };
  /** Peak RSS of the simulator process, bytes. */
  maxRss: { args: Record<string, never>; result: number };
}

/** The simulator's LookupEvents counters, summed over account-regions. */
export interface LookupTotals {
  /** Account-regions that called. */
  accountRegions: number;
  /** Calls answered, throttled ones included. */
  calls: number;
  /** Calls refused with ThrottlingException. */
  throttled: number;
  /** The most calls accepted from one account-region in any one second. */
  maxPerSecond: number;
}
