// Messages between the fetch pool (main thread) and its workers. Everything
// here crosses a thread by structured clone: plain data only.
import type { Attachment } from "../model/attachment.js";
import type { ReadGroup } from "../model/normalize.js";
import type { ResponseReader } from "./collect.js";
import type { ClientSpec } from "./ec2-client.js";
import type { PollError } from "./poll-error.js";

/** A ClientSpec that can cross a thread: explicit credentials, if any, are static keys. */
export type PortableClientSpec = Omit<ClientSpec, "credentials"> & {
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
};

/** What a worker is started with. */
export interface FetchWorkerData {
  /**
   * A module whose `createEc2Client` export replaces the real factory (the
   * benchmark's per-account keys); absent in production.
   */
  clientModule?: string;
}

/** Main → worker. */
export type ToWorker =
  | {
      type: "fetch";
      id: number;
      /** Which cached client to use: one per target, so connections and the adaptive rate limiter persist. */
      clientKey: string;
      spec: PortableClientSpec;
      maxPages: number;
      /** Fingerprints the main thread holds canonical states for, by group id. */
      known: Map<string, string>;
      /** Also read every page of DescribeNetworkInterfaces (blast radius). */
      interfaces: boolean;
      /** Digest (attachmentsDigest) of the attachments the main thread holds as this target's current ones, or null. */
      knownAttachments: string | null;
      /** Who reads the response bodies (aws.reader). */
      reader: ResponseReader;
      /** Send a "page" message after each page (a terminal shows progress); a daemon does not ask. */
      progress: boolean;
    }
  | { type: "abort"; id: number };

/**
 * The attachments a worker read: their digest, and the list itself only when
 * it differs from `knownAttachments` (null: the same as the main thread's).
 * Nearly every poll reads the same interfaces as the last one.
 */
export interface WireAttachments {
  digest: string;
  list: Attachment[] | null;
}

/** Worker → main. */
export type FromWorker =
  | { type: "page"; id: number; pages: number; groups: number }
  | {
      type: "done";
      id: number;
      pages: number;
      /** In arrival order; a group read as unchanged crosses as its id alone (its fingerprint is the one in `known`). */
      groups: (ReadGroup | string)[];
      /** null when the interfaces were not read. */
      attachments: WireAttachments | null;
      /** Pages (groups' and interfaces') answered from what the same bytes read last time, unread (page-memo.ts). */
      reusedPages: number;
    }
  | { type: "failed"; id: number; error: PollError };
