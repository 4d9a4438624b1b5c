// What every action handler receives and returns.

import type { QueryParams } from "../query-params.js";
import type { RegionState } from "../region-state.js";
import type { Caller } from "../types.js";

/** One API call, resolved to its account and region. */
export interface ActionContext {
  /** Request parameters. */
  params: QueryParams;
  /** The caller's (account, region) state. */
  region: RegionState;
  /** Attribution for the mutation log (carries the request id and action). */
  caller: Caller;
  /** Regions DescribeRegions reports. */
  regions: readonly string[];
  /** Fault in force: answer paginated calls with a NextToken that never ends. */
  repeatNextToken: boolean;
}

/** An EC2 action. */
export interface ActionHandler {
  /** True for Describe* calls, which never change state. */
  readOnly: boolean;
  /** Whether the action paginates (so a repeat-next-token fault applies to it). */
  paginated?: boolean;
  /** Runs the action; returns the XML inside `<ActionResponse>` after `<requestId>`. */
  run(ctx: ActionContext): string;
}
