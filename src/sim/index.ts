// The simulator's public surface, for tests, the demo and benchmarks.

export { startSimulator, DEFAULT_REGIONS, type Simulator, type SimulatorOptions } from "./server.js";
export { SimState, AccountState, DEFAULT_ACCOUNT, saveStateFile, loadStateFile, type SerializedState, type SimStateOptions } from "./state.js";
export { RegionState, IN_PROCESS_CALLER, type CreateGroupInput, type GroupRef } from "./region-state.js";
export { FaultInjector, FAULT_KINDS, validateFaultSpec, type ActiveFault, type FaultKind, type FaultSpec } from "./faults.js";
export { seedDemoAccount, DEMO_VPC_ID, DEMO_S3_PREFIX_LIST, type DemoAccount, type DemoOptions } from "./seed-demo.js";
export { generateAccount, applyRandomDrift, addRandomRule, type GenerateOptions, type GeneratedAccount, type DriftChange, type DriftKind, type DriftOptions } from "./generate.js";
export { isReadOnlyAction, ACTIONS } from "./actions/index.js";
export { SimError } from "./errors.js";
export { RoleBook, parseRoleSpec, type RoleSpec, type SimRole, type SimSession } from "./sts/roles.js";
export type * from "./types.js";
