// A streaming reader of EC2 Query XML into plain objects of a declared shape,
// on the saxes parser. It reads only the members a shape names (what sgwatch
// uses of a response) and skips the rest unbuilt, which is what makes it
// cheaper than the SDK's deserialiser (a whole-document tree, then a schema
// walk over every member). Values are read exactly as the SDK reads them
// (@aws-sdk/xml-builder's parseXML, then XmlShapeDeserializer):
// - a leaf's text is its character data and CDATA joined, entities decoded,
//   line ends normalised (CR, CRLF → LF); text that is only whitespace and
//   holds a line break reads as "";
// - numbers are Number(text) (so an empty <fromPort/> is 0, as in the SDK);
//   booleans are text.toLowerCase() === "true";
// - a list is its <item> children; an empty list element is [], a missing
//   one is absent; members are named as the SDK names them (GroupId, …).
// Where the SDK would guess on a broken document (an unknown entity read as
// "", a repeated element, trailing content after the root), this reader fails
// instead: the poll is recorded as MalformedResponse, never half-read.
import { SaxesParser } from "saxes";
import { RawControlEscaper } from "./xml-raw-controls.js";

/** How to read one element. */
export type XmlShape =
  /** Text. */
  | { kind: "string" }
  /** Text read as Number(text). */
  | { kind: "number" }
  /** Text read as text.toLowerCase() === "true". */
  | { kind: "boolean" }
  /** `<item>` children, each read with `item`. */
  | { kind: "list"; item: XmlShape }
  /** Child elements by XML name → [member name, shape]; other children are skipped. */
  | {
      kind: "struct";
      members: ReadonlyMap<string, readonly [string, XmlShape]>;
      /** The members' XML names and [member name, shape], in one order: looked up by a scan (see memberOf). */
      xmlNames: readonly string[];
      defs: ReadonlyArray<readonly [string, XmlShape]>;
      /** Every member, undefined, in one order: each object is a copy of it, so all share one hidden class (normalize reads them monomorphically). */
      template: Record<string, undefined>;
    };

export const STRING: XmlShape = { kind: "string" };
export const NUMBER: XmlShape = { kind: "number" };
export const BOOLEAN: XmlShape = { kind: "boolean" };

export function list(item: XmlShape): XmlShape {
  return { kind: "list", item };
}

/** A struct from `{ xmlName: ["MemberName", shape] }`. */
export function struct(members: Record<string, readonly [string, XmlShape]>): XmlShape {
  const map = new Map(Object.entries(members));
  return { kind: "struct", members: map, xmlNames: [...map.keys()], defs: [...map.values()], template: Object.fromEntries([...map.values()].map(([m]) => [m, undefined])) };
}

/**
 * The member a struct reads from the element `name`, if any. A scan, not
 * members.get: each name comes from the parser as a new string, so a map
 * hashes it first, and a struct has a dozen members at most, most of which
 * differ from the name in length alone (the profile of figure 7).
 */
function memberOf(shape: XmlShape & { kind: "struct" }, name: string): readonly [string, XmlShape] | undefined {
  const names = shape.xmlNames;
  for (let i = 0; i < names.length; i++) if (names[i] === name) return shape.defs[i];
  return undefined;
}

/** The response body could not be read as the expected document. */
export class XmlReadError extends Error {
  /** Like an SDK deserialisation error: the HTTP status of the response that could not be read. */
  readonly $metadata: { httpStatusCode?: number };

  constructor(message: string, httpStatusCode?: number) {
    super(`XML parse error: ${message}`);
    this.name = "XmlReadError";
    this.$metadata = httpStatusCode === undefined ? {} : { httpStatusCode };
  }
}

/** One open element the shape names. */
interface Frame {
  shape: XmlShape;
  /** Member name in the parent struct (structs only). */
  member: string;
  name: string;
  text: string;
  value: Record<string, unknown> | unknown[] | null;
}

function leaf(shape: XmlShape, raw: string): string | number | boolean {
  // parseXML drops text that is only whitespace around a line break (pretty-printing).
  const text = raw.trim() === "" && raw.includes("\n") ? "" : raw;
  if (shape.kind === "number") return Number(text);
  if (shape.kind === "boolean") return text.toLowerCase() === "true";
  // The parser's text is a slice of the chunk it came in, and V8 keeps the
  // whole chunk alive while any slice of it lives; names, ids and
  // descriptions end up in the canonical state kept between polls. Joining
  // and cutting again copies the text into a string of its own (V8 does not
  // slice strings shorter than 13 characters).
  return text.length < 13 ? text : (" " + text).slice(1);
}


/**
 * Turns each item of the root's item list into what the caller keeps, as
 * soon as the item's element closes (index: its position in the list).
 */
export interface ItemMap {
  /** The root's member holding the items (ResponseShape.items). */
  member: string;
  map: (item: unknown, index: number) => unknown;
}

/**
 * Reads one document whose root element is `rootName`, chunk by chunk.
 * `write` the decoded text as it arrives, then `end()` for the root's value.
 * With `items`, the root's item list holds what `items.map` made of each
 * item instead of the item: the raw item is garbage as soon as it is read,
 * rather than living until the whole page is in (a page of 1,000 groups is
 * read over many young-generation collections, so its raw items would be
 * promoted to the old generation and die there, which is what made the
 * daemon's peak RSS; docs/performance.md, "What moved the peak").
 */
export class XmlShapeReader {
  private readonly parser = new SaxesParser({ defaultXMLVersion: "1.1", forceXMLVersion: true, position: false });
  // Raw control characters are written as references (see xml-raw-controls.ts).
  private readonly escaper = new RawControlEscaper();
  private readonly stack: Frame[] = [];
  // Depth inside an element the shape does not name: it and everything in it
  // are skipped by counting, with no frame per element (most of an interface's
  // elements, for one).
  private skipping = 0;
  private result: Record<string, unknown> | null = null;
  private failure: Error | null = null;

  constructor(
    private readonly rootName: string,
    private readonly root: XmlShape & { kind: "struct" },
    private readonly items?: ItemMap,
  ) {
    const p = this.parser;
    p.on("error", (e) => {
      this.failure ??= new XmlReadError(e.message);
    });
    p.on("opentag", (node) => this.open(node.name));
    p.on("text", (t) => this.addText(t));
    p.on("cdata", (t) => this.addText(t));
    p.on("closetag", () => this.close());
  }

  write(chunk: string): void {
    this.parser.write(this.escaper.escape(chunk));
    if (this.failure) throw this.failure;
  }

  /** The root's members; throws XmlReadError when the document is not complete and well formed. */
  end(): Record<string, unknown> {
    this.parser.close();
    if (this.failure) throw this.failure;
    if (this.result === null) throw new XmlReadError(`no <${this.rootName}> element`);
    return this.result;
  }

  private fail(message: string): void {
    this.failure ??= new XmlReadError(message);
  }

  private open(name: string): void {
    if (this.skipping > 0) {
      this.skipping++;
      return;
    }
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined) {
      if (name !== this.rootName || this.result !== null) return this.fail(`expected one <${this.rootName}> root element, found <${name}>`);
      this.stack.push({ shape: this.root, member: "", name, text: "", value: { ...this.root.template } });
      return;
    }
    const ps = parent.shape;
    let shape: XmlShape | null = null;
    let member = "";
    if (ps.kind === "struct") {
      const m = memberOf(ps, name);
      if (m !== undefined) [member, shape] = m;
    } else if (ps.kind === "list") {
      if (name === "item") shape = ps.item;
    } else {
      // The SDK cannot read a scalar that holds elements either.
      return this.fail(`<${parent.name}> holds an element <${name}> where text was expected`);
    }
    if (shape === null) {
      this.skipping = 1;
      return;
    }
    const value = shape.kind === "struct" ? { ...shape.template } : shape.kind === "list" ? [] : null;
    this.stack.push({ shape, member, name, text: "", value });
  }

  private addText(t: string): void {
    if (this.skipping > 0) return;
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined && top.value === null) top.text += t;
  }

  private close(): void {
    if (this.skipping > 0) {
      this.skipping--;
      return;
    }
    const f = this.stack.pop();
    if (f === undefined) return;
    const value = f.value ?? leaf(f.shape, f.text);
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined) {
      this.result = value as Record<string, unknown>;
      return;
    }
    if (Array.isArray(parent.value)) {
      // The root's item list is the second frame: [root, list].
      const mapped = this.items !== undefined && this.stack.length === 2 && parent.member === this.items.member;
      parent.value.push(mapped ? (this.items as ItemMap).map(value, parent.value.length) : value);
    } else if (parent.value !== null) {
      if (parent.value[f.member] !== undefined) return this.fail(`<${parent.name}> repeats <${f.name}>`);
      parent.value[f.member] = value;
    }
  }
}
