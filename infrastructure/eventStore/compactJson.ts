/**
 * A compact binary form of JSON values for the SQLite event store's rows (ADR 0024). It is exact: decoding
 * gives back a value whose `JSON.stringify` is the one of the value encoded (same keys in the same order, same
 * strings, same numbers), which the tamper-evidence chain relies on. What it saves is what m3m's events are
 * made of: object keys (a key list is stored once per file and referred to by number), UUIDs (16 bytes instead
 * of 36 characters), ISO days and timestamps (a few bytes of varint), small integers (one or two bytes).
 * A value it cannot promise to give back exactly (a `Date`, `undefined` in an object, a lone surrogate, a key
 * named `__proto__`…) makes `encodeCompact` return null, and the caller stores the JSON text as before.
 */

/** Key lists of objects, interned by the store (ids are small non-negative integers). */
export interface KeyLists {
  /** The id of this key list (joined with `\u0000`), or null to write the keys inline. */
  idOf(joined: string): number | null;
  /** The keys of a list id given out before. */
  keysOf(id: number): readonly string[];
}

const NULL = 0;
const FALSE = 1;
const TRUE = 2;
const INT = 3; // zigzag varint, safe integers
const FLOAT = 4; // float64, little endian
const STRING = 5; // varint byte length, UTF-8
const UUID = 6; // 16 bytes
const ARRAY = 7; // varint count, items
const OBJECT = 8; // varint key-list id, values in its order
const DAY = 9; // zigzag varint days since 1970-01-01 (`YYYY-MM-DD`)
const TIME = 10; // zigzag varint milliseconds since the epoch (`YYYY-MM-DDTHH:MM:SS.sssZ`)
const OBJECT_INLINE = 11; // varint count, then (varint byte length, UTF-8 key, value) each
const JSON_TEXT = 12; // varint byte length, UTF-8 JSON text: a value compact JSON cannot give back exactly

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY_TEXT = /^\d{4}-\d{2}-\d{2}$/;
const TIME_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DAY_MS = 86_400_000;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

class NotCompact extends Error {}

/** A growing byte buffer, reused by one encoder. */
class Writer {
  buf = Buffer.allocUnsafe(512);
  at = 0;

  #room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.#room(1);
    this.buf[this.at++] = b;
  }

  /** Unsigned varint of a non-negative safe integer (7 bits a byte). */
  varint(n: number): void {
    this.#room(8);
    while (n >= 0x80) {
      this.buf[this.at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.at++] = n;
  }

  zigzag(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  text(s: string): void {
    // Short ASCII (most keys and values) is quicker copied here than through an encoder call.
    if (s.length <= 32) {
      this.#room(s.length + 1);
      const start = this.at;
      this.buf[this.at++] = s.length;
      let ascii = true;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        this.buf[this.at++] = c;
      }
      if (ascii) return;
      this.at = start;
    }
    const length = Buffer.byteLength(s, 'utf8');
    this.varint(length);
    this.#room(length);
    this.at += this.buf.write(s, this.at, length, 'utf8');
  }

  float(n: number): void {
    this.#room(8);
    this.buf.writeDoubleLE(n, this.at);
    this.at += 8;
  }

  uuid(s: string): void {
    this.#room(16);
    for (let i = 0; i < 36; i += 2) {
      if (i === 8 || i === 13 || i === 18 || i === 23) i += 1;
      this.buf[this.at++] = (hexDigit(s.charCodeAt(i)) << 4) | hexDigit(s.charCodeAt(i + 1));
    }
  }
}

/** The value of a lowercase hex digit's character code (the text was checked to be a UUID). */
function hexDigit(c: number): number {
  return c <= 0x39 ? c - 0x30 : c - 0x57;
}

const writer = new Writer();

/** The compact form of `value`, or null when it cannot be given back exactly (store the JSON text then). */
export function encodeCompact(value: unknown, keyLists: KeyLists): Uint8Array | null {
  writer.at = 0;
  try {
    write(value, keyLists);
  } catch (error) {
    if (error instanceof NotCompact) return null;
    throw error;
  }
  return new Uint8Array(writer.buf.subarray(0, writer.at));
}

/** Writes `value`, or its JSON text when it cannot be given back exactly. */
function writeOrText(value: unknown, text: string, keyLists: KeyLists): void {
  const mark = writer.at;
  try {
    write(value, keyLists);
  } catch (error) {
    if (!(error instanceof NotCompact)) throw error;
    writer.at = mark;
    writer.byte(JSON_TEXT);
    writer.text(text);
  }
}

/**
 * An event's id, data and metadata in one compact value each, one after the other: one BLOB per row (a
 * row read costs one buffer, not three). `dataText` and `metadataText` are their JSON texts, stored instead
 * when compact JSON cannot give a value back exactly.
 */
export function encodeEventBody(
  id: string,
  data: unknown,
  dataText: string,
  metadata: unknown,
  metadataText: string,
  keyLists: KeyLists,
): Uint8Array {
  writer.at = 0;
  writeOrText(id, JSON.stringify(id), keyLists);
  writeOrText(data, dataText, keyLists);
  writeOrText(metadata, metadataText, keyLists);
  return new Uint8Array(writer.buf.subarray(0, writer.at));
}

export interface EventBody {
  id: string;
  data: unknown;
  metadata: unknown;
}

/** What `encodeEventBody` wrote. */
export function decodeEventBody(bytes: Uint8Array, keyLists: KeyLists): EventBody {
  reader.reset(bytes, keyLists);
  const id = reader.value() as string;
  const data = reader.value();
  const metadata = reader.value();
  if (reader.at !== bytes.length) throw new Error('compact JSON: trailing bytes');
  return { id, data, metadata };
}

/** The event's id and the JSON texts of its data and metadata, as the tamper-evidence chain hashes them. */
export function eventBodyTexts(
  bytes: Uint8Array,
  keyLists: KeyLists,
): { id: string; data: string; metadata: string } {
  reader.reset(bytes, keyLists);
  const text = () => {
    if (reader.buf[reader.at] === JSON_TEXT) {
      reader.at += 1;
      return reader.text();
    }
    return JSON.stringify(reader.value());
  };
  const id = reader.value() as string;
  const data = text();
  const metadata = text();
  if (reader.at !== bytes.length) throw new Error('compact JSON: trailing bytes');
  return { id, data, metadata };
}

function write(value: unknown, keyLists: KeyLists): void {
  switch (typeof value) {
    case 'string':
      writeString(value);
      return;
    case 'number':
      // Up to 2^52 in magnitude, so that the zigzag form (twice as large) is still exact.
      if (Number.isInteger(value) && Math.abs(value) <= 2 ** 52) {
        writer.byte(INT);
        writer.zigzag(value);
      } else if (Number.isFinite(value)) {
        writer.byte(FLOAT);
        writer.float(value);
      } else throw new NotCompact(); // JSON makes it null
      return;
    case 'boolean':
      writer.byte(value ? TRUE : FALSE);
      return;
    case 'object':
      if (value === null) writer.byte(NULL);
      else if (Array.isArray(value)) writeArray(value, keyLists);
      else writeObject(value as Record<string, unknown>, keyLists);
      return;
    default:
      throw new NotCompact(); // undefined, a function, a symbol, a bigint
  }
}

function writeString(s: string): void {
  if (s.length === 36 && UUID_TEXT.test(s)) {
    writer.byte(UUID);
    writer.uuid(s);
    return;
  }
  if (s.length === 10 && DAY_TEXT.test(s)) {
    const ms = Date.parse(`${s}T00:00:00.000Z`);
    if (Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === s) {
      writer.byte(DAY);
      writer.zigzag(ms / DAY_MS);
      return;
    }
  }
  if (s.length === 24 && TIME_TEXT.test(s)) {
    const ms = Date.parse(s);
    if (Number.isFinite(ms) && new Date(ms).toISOString() === s) {
      writer.byte(TIME);
      writer.zigzag(ms);
      return;
    }
  }
  // UTF-8 cannot hold a lone surrogate: JSON text can (escaped), so such a string stays JSON.
  if (!s.isWellFormed()) throw new NotCompact();
  writer.byte(STRING);
  writer.text(s);
}

function writeArray(items: readonly unknown[], keyLists: KeyLists): void {
  writer.byte(ARRAY);
  writer.varint(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === undefined) throw new NotCompact(); // a hole or undefined: JSON makes it null
    write(item, keyLists);
  }
}

function writeObject(object: Record<string, unknown>, keyLists: KeyLists): void {
  const proto = Object.getPrototypeOf(object);
  if ((proto !== Object.prototype && proto !== null) || typeof object.toJSON === 'function') {
    throw new NotCompact(); // a Date, a Map, a class instance: JSON.stringify has its own idea of those
  }
  const keys = Object.keys(object);
  for (const key of keys) {
    if (object[key] === undefined || key === '__proto__' || !key.isWellFormed()) throw new NotCompact();
  }
  const id = keyLists.idOf(keys.join('\u0000'));
  if (id === null) {
    writer.byte(OBJECT_INLINE);
    writer.varint(keys.length);
    for (const key of keys) {
      writer.text(key);
      write(object[key], keyLists);
    }
    return;
  }
  writer.byte(OBJECT);
  writer.varint(id);
  for (const key of keys) write(object[key], keyLists);
}

/** Reads one value at a time from a compact form. */
class Reader {
  buf: Uint8Array = new Uint8Array(0);
  keyLists: KeyLists = NO_KEY_LISTS;
  at = 0;

  reset(buf: Uint8Array, keyLists: KeyLists): void {
    this.buf = buf;
    this.keyLists = keyLists;
    this.at = 0;
  }

  varint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.buf[this.at++];
      if (b === undefined) throw new Error('compact JSON: cut short');
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
  }

  zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  text(): string {
    const length = this.varint();
    const start = this.at;
    const end = start + length;
    if (end > this.buf.length) throw new Error('compact JSON: cut short');
    this.at = end;
    // Short ASCII (most keys and values) is quicker built here than through a decoder call.
    if (length <= 32) {
      let s = '';
      for (let i = start; i < end; i++) {
        const c = this.buf[i]!;
        if (c >= 0x80) return utf8.decode(this.buf.subarray(start, end));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8.decode(this.buf.subarray(start, end));
  }

  value(): unknown {
    const tag = this.buf[this.at++];
    switch (tag) {
      case NULL:
        return null;
      case FALSE:
        return false;
      case TRUE:
        return true;
      case INT:
        return this.zigzag();
      case FLOAT: {
        if (this.at + 8 > this.buf.length) throw new Error('compact JSON: cut short');
        const n = new DataView(this.buf.buffer, this.buf.byteOffset + this.at, 8).getFloat64(0, true);
        this.at += 8;
        return n;
      }
      case STRING:
        return this.text();
      case UUID:
        return this.uuid();
      case ARRAY: {
        const n = this.varint();
        const items = new Array(n);
        for (let i = 0; i < n; i++) items[i] = this.value();
        return items;
      }
      case OBJECT: {
        const keys = this.keyLists.keysOf(this.varint());
        const object: Record<string, unknown> = {};
        for (const key of keys) object[key] = this.value();
        return object;
      }
      case OBJECT_INLINE: {
        const n = this.varint();
        const object: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const key = this.text();
          object[key] = this.value();
        }
        return object;
      }
      case DAY:
        return new Date(this.zigzag() * DAY_MS).toISOString().slice(0, 10);
      case TIME:
        return new Date(this.zigzag()).toISOString();
      case JSON_TEXT:
        return JSON.parse(this.text());
      default:
        throw new Error(`compact JSON: unknown tag ${tag}`);
    }
  }

  uuid(): string {
    const b = this.buf;
    const i = this.at;
    if (i + 16 > b.length) throw new Error('compact JSON: cut short');
    this.at += 16;
    return `${HEX[b[i]!]}${HEX[b[i + 1]!]}${HEX[b[i + 2]!]}${HEX[b[i + 3]!]}-${HEX[b[i + 4]!]}${HEX[b[i + 5]!]}-${HEX[b[i + 6]!]}${HEX[b[i + 7]!]}-${HEX[b[i + 8]!]}${HEX[b[i + 9]!]}-${HEX[b[i + 10]!]}${HEX[b[i + 11]!]}${HEX[b[i + 12]!]}${HEX[b[i + 13]!]}${HEX[b[i + 14]!]}${HEX[b[i + 15]!]}`;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeCompact(bytes: Uint8Array, keyLists: KeyLists): unknown {
  reader.reset(bytes, keyLists);
  const value = reader.value();
  if (reader.at !== bytes.length) throw new Error('compact JSON: trailing bytes');
  return value;
}

const NO_KEY_LISTS: KeyLists = {
  idOf: () => null,
  keysOf: () => {
    throw new Error('compact JSON: no key lists here');
  },
};

const reader = new Reader();
