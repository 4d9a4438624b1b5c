// The rule attribution tests start from: ingress TCP 22 from 0.0.0.0/0.
import type { Rule } from "../../../src/model/types.js";

export function rule(over: Partial<Rule> = {}): Rule {
  return {
    direction: "ingress",
    protocol: "tcp",
    fromPort: 22,
    toPort: 22,
    sourceKind: "ipv4",
    source: "0.0.0.0/0",
    sourceAccount: null,
    peeringId: null,
    description: null,
    ...over,
  };
}
