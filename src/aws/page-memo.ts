// Not reading a page twice. A fleet's polls mostly get back the very bytes
// they got five minutes earlier, but for the response's <requestId>; reading
// those bytes again (the XML parse, the reader, a fingerprint per group) was
// most of a fetch worker's CPU on an unchanged fleet (docs/performance.md,
// "Pages read once"). So a page's body is held whole (up to a limit), hashed
// less its request id, and when the digest is the one the same page had last
// time, what was read then is answered again: for groups, their ids and
// fingerprints, and only when the caller still holds every one of those
// fingerprints; for interfaces, the digest of their attachments, and only
// when the caller holds that digest. Anything else parses the held bytes as
// before.
//
// Why an equal digest is an equal read: the request id is cut out only where
// the document can hold nothing else: the root's first child, after nothing
// but the XML declaration, the root's start tag and whitespace, with letters,
// digits and dashes alone inside it (a UUID). Two bodies with equal digests
// are then the same bytes up to that first "<requestId>" (nothing before it
// can contain one) and the same bytes after its value, and their values are
// text the reader skips. SHA-256, not SHA-1: the rest of the page is text
// anyone who may edit a description chooses, so a collision must stay out of
// reach. A body of another form (or over the limit) is read as it comes and
// never reused.
import { createHash } from "node:crypto";
import type { ReadGroup } from "../model/normalize.js";
import type { ReadPage } from "./stream-send.js";

/** Bodies up to this size are held whole, hashed and maybe reused; a bigger one is read as it streams in (a fleet's pages are a few KB). */
export const REUSE_LIMIT_BYTES = 1024 * 1024;

/** Reuse of what an earlier body read, by the body's digest (sendReading). */
export interface BodyReuse<T> {
  /** The page read from a body with this digest before, if it may be answered again now; null: read the body. */
  recall(digest: string): ReadPage<T> | null;
  /** What was read from a body with this digest (called once the send succeeded). */
  remember(digest: string, page: ReadPage<T>): void;
}

const heads = new Map<string, RegExp>();

/** Where the head of a `root` response ends and its request id's value begins and ends. */
function headPattern(root: string): RegExp {
  let re = heads.get(root);
  if (re === undefined) {
    // XML whitespace only (not \s, which takes more); nothing in it can hold "<".
    re = new RegExp(`^(?:<\\?xml [^<>]*\\?>)?[ \\t\\r\\n]*<${root}(?: xmlns="[^"<>]*")?>[ \\t\\r\\n]*<requestId>([A-Za-z0-9-]{1,64})</requestId>`);
    heads.set(root, re);
  }
  return re;
}

/**
 * SHA-256 of a response body less the value of its request id, or null when
 * the body does not open as a `root` response whose first child is a request
 * id of the usual form (then it is never reused).
 */
export function bodyDigest(bytes: Uint8Array, root: string): string | null {
  // latin1: one character per byte, so a match's length is a byte offset.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 512)).toString("latin1");
  const m = headPattern(root).exec(head);
  if (m === null) return null;
  const end = m[0].length - "</requestId>".length;
  const start = end - (m[1] as string).length;
  return createHash("sha256").update(bytes.subarray(0, start)).update(bytes.subarray(end)).digest("base64");
}

interface GroupPage {
  digest: string;
  ids: string[];
  fingerprints: string[];
  nextToken: string | undefined;
}

/** One target's DescribeSecurityGroups pages as last read, by page number. */
export class GroupPageMemo {
  private readonly pages: (GroupPage | undefined)[] = [];
  /** Pages answered from memory, over the memo's life. */
  hits = 0;

  /** Reuse for page `n` (0 the first) of a read whose caller holds the fingerprints `known` gives. */
  forPage(n: number, known: (groupId: string) => string | undefined): BodyReuse<ReadGroup> {
    return {
      recall: (digest) => {
        const p = this.pages[n];
        if (p === undefined || p.digest !== digest) return null;
        // The caller's canonical states stand in for every group: it must hold each one's.
        for (let i = 0; i < p.ids.length; i++) if (known(p.ids[i] as string) !== p.fingerprints[i]) return null;
        this.hits++;
        return { items: p.ids.map((groupId, i) => ({ groupId, fingerprint: p.fingerprints[i] as string, state: null })), nextToken: p.nextToken };
      },
      remember: (digest, page) => {
        // Without fingerprints (a caller that keeps none) there is nothing to check a reuse against.
        if (page.items.some((r) => r.fingerprint === "")) return;
        this.pages[n] = { digest, ids: page.items.map((r) => r.groupId), fingerprints: page.items.map((r) => r.fingerprint), nextToken: page.nextToken };
      },
    };
  }

  /** A read of `pages` pages succeeded: forget the pages after them. */
  keep(pages: number): void {
    if (this.pages.length > pages) this.pages.length = pages;
  }
}

/**
 * One target's DescribeNetworkInterfaces as last read, when it was a single
 * page: its body's digest and the digest of the attachments read from it.
 * (A target with more pages of interfaces is read every time.)
 */
export class InterfaceMemo {
  private last: { body: string; attachments: string } | null = null;
  /** Reads answered from memory, over the memo's life. */
  hits = 0;

  /**
   * Reuse for the first page, given the attachments digest the caller holds.
   * A recalled page is empty and has no next token: the caller's own list is
   * what a read would give, and `hit` says so.
   */
  forRead<T>(known: string | null): BodyReuse<T> & { hit: boolean; body: string | null } {
    const memo = this;
    return {
      hit: false,
      body: null,
      recall(digest) {
        if (memo.last === null || memo.last.body !== digest || memo.last.attachments !== known) return null;
        memo.hits++;
        this.hit = true;
        return { items: [], nextToken: undefined };
      },
      remember(digest, page) {
        if (!this.hit && page.nextToken === undefined) this.body = digest;
      },
    };
  }

  /** A read of `pages` pages gave attachments with `digest`; `body` is what forRead's reuse remembered. */
  read(body: string | null, pages: number, digest: string): void {
    this.last = body !== null && pages === 1 ? { body, attachments: digest } : null;
  }
}
