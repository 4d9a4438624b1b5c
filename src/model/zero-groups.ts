// A poll that suddenly sees no security groups where the last one saw many.
// Every VPC has a default group that cannot be deleted, so "all gone" is far
// likelier an auth or endpoint mix-up (another account's empty region, a
// wrong endpoint) than real; recording it would close every interval and
// alert on every rule. Such a poll is held until the next poll confirms it.
// Pure: the caller reads the previous polls and acts on the verdict.

/** The error code of a held (unconfirmed) empty poll, stored on its failed poll row. */
export const ZERO_GROUPS_UNCONFIRMED = "ZeroGroupsUnconfirmed";

/** What is known when a poll returned its groups. */
export interface ZeroGroupsInput {
  /** Groups this poll returned. */
  observed: number;
  /** Groups the last successful poll saw, or null before the baseline. */
  previous: number | null;
  /** The error code of the target's last poll (ok or failed), if any. */
  lastPollCode: string | null;
  /** monitoring.confirmZeroGroups: hold an empty poll when the previous saw at least this many; 0 = never. */
  threshold: number;
}

/** record: as usual; hold: record as failed, wait for the next poll; confirmed: the previous poll was held and this one agrees. */
export type ZeroGroupsVerdict = "record" | "hold" | "confirmed";

export function zeroGroupsVerdict(i: ZeroGroupsInput): ZeroGroupsVerdict {
  if (i.observed > 0 || i.threshold === 0 || i.previous === null || i.previous < i.threshold) return "record";
  return i.lastPollCode === ZERO_GROUPS_UNCONFIRMED ? "confirmed" : "hold";
}
