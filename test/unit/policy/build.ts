// Guardrails for policy tests, parsed through the config's own schema so each
// case is written as an operator would write it in config.yaml.
import { guardrailsSchema } from "../../../src/policy/guardrail-schema.js";
import type { Guardrail } from "../../../src/policy/guardrail.js";

/** Parse raw guardrail entries; throws with zod's message when they are invalid. */
export function guardrails(raw: unknown[]): Guardrail[] {
  return guardrailsSchema.parse(raw);
}

/** The two examples. */
export const HOUSE_RULES = guardrails([
  {
    id: "no-world-admin",
    reason: "SSH, RDP and databases are never open to the internet",
    forbid: [
      { protocol: "tcp", ports: 22, source: "world" },
      { protocol: "tcp", ports: 3389, source: "world" },
      { protocol: "tcp", ports: "5432", source: "world" },
    ],
  },
  {
    id: "no-wide-sources",
    reason: "nothing from a /8 or wider",
    forbid: [{ protocol: "any", source: "/8 or wider" }],
    except: [{ tags: { public: "true" }, allow: [{ protocol: "tcp", ports: 80, source: "any" }, { protocol: "tcp", ports: 443, source: "any" }] }],
  },
]);
