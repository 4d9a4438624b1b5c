// The CloudTrail record reader moved to src/trail/event-record.ts: the trail
// sensor owns reading CloudTrail events, and attribution is one of its readers.
export * from "../trail/event-record.js";
