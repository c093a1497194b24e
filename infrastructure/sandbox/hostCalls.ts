// The host side of the guests' calls to `m3m.*`: which paths a host API may declare, and how one call is
// answered — arguments decoded, the host function called, its result or error copied back as JSON within
// the size limit. Nothing but names, messages and JSON ever goes back to the guest.
import type { HostReply, RuntimeToHost } from './protocol.ts';
import type { HostApi, SandboxLogger } from './types.ts';

/** Calls the host function a guest asked for and returns the reply as JSON (`HostReply`); never throws. */
export async function answerHostCall(
  hostApi: HostApi,
  call: Extract<RuntimeToHost, { type: 'hostCall' }>,
  worker: { workerId: string; version: number },
  options: { maxBytes: number; logger: SandboxLogger | undefined },
): Promise<string> {
  const fail = (name: string, message: string) =>
    JSON.stringify({ ok: false, error: { name, message } } satisfies HostReply);
  const fn = Object.hasOwn(hostApi, call.method) ? hostApi[call.method] : undefined;
  if (typeof fn !== 'function') return fail('Error', `m3m.${call.method} is not available`);
  let args: unknown;
  try {
    args = JSON.parse(call.argsJson);
  } catch {
    return fail('TypeError', `m3m.${call.method}: unreadable arguments`);
  }
  if (!Array.isArray(args)) return fail('TypeError', `m3m.${call.method}: unreadable arguments`);
  let value: unknown;
  try {
    value = await fn(args, {
      invocationId: call.invocationId,
      workerId: worker.workerId,
      version: worker.version,
      method: call.method,
    });
  } catch (err) {
    return fail(...publicError(err));
  }
  if (value === undefined) return '{"ok":true}';
  let json: string;
  try {
    json = strictJson(value);
  } catch (err) {
    options.logger?.warn(
      { method: call.method, err },
      'sandbox host function returned a value that is not JSON',
    );
    return fail('Error', `m3m.${call.method} returned a value that cannot be copied into the worker`);
  }
  if (Buffer.byteLength(json) > options.maxBytes) {
    return fail(
      'RangeError',
      `the result of m3m.${call.method} is too large (limit ${options.maxBytes} bytes)`,
    );
  }
  return `{"ok":true,"value":${json}}`;
}

const SEGMENT = /^[A-Za-z_$][\w$]*$/;
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

/** The declared host API paths, sorted; refuses names the guest object could not carry safely. */
export function methodPaths(hostApi: HostApi): string[] {
  if (!hostApi || typeof hostApi !== 'object') throw new TypeError('hostApi must be an object of functions');
  const paths = Object.keys(hostApi).sort();
  const set = new Set(paths);
  for (const path of paths) {
    if (typeof hostApi[path] !== 'function') throw new TypeError(`hostApi['${path}'] must be a function`);
    const segments = path.split('.');
    if (!segments.every((s) => SEGMENT.test(s) && !FORBIDDEN_SEGMENTS.has(s))) {
      throw new TypeError(
        `hostApi path '${path}' must be dotted identifiers (no __proto__, prototype, constructor)`,
      );
    }
    if (segments[0] === 'log') throw new TypeError(`hostApi path '${path}': m3m.log is built in`);
    if (segments[0] === 'models' && segments.length !== 2) {
      throw new TypeError(`hostApi path '${path}': model operations are declared as 'models.<operation>'`);
    }
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('.');
      if (set.has(prefix)) throw new TypeError(`hostApi paths '${prefix}' and '${path}' conflict`);
    }
  }
  return paths;
}

/** JSON.stringify that refuses what it would silently drop or mangle: functions, symbols (and, natively, cycles, BigInt). */
export function strictJson(value: unknown): string {
  const json = JSON.stringify(value, (key, v: unknown) => {
    if (typeof v === 'function' || typeof v === 'symbol') {
      throw new TypeError(`a ${typeof v}${key ? ` at key '${key}'` : ''} cannot be copied as JSON`);
    }
    return v;
  });
  if (json === undefined) throw new TypeError('the value cannot be copied as JSON');
  return json;
}

/** Name and message of a host function's error, as the guest may see them: never a stack or an object. */
function publicError(err: unknown): [string, string] {
  const e = err as { name?: unknown; message?: unknown } | null | undefined;
  const name = typeof e?.name === 'string' && /^[A-Za-z][\w]{0,63}$/.test(e.name) ? e.name : 'Error';
  const raw = typeof e?.message === 'string' ? e.message : String(err);
  return [name, raw.length > 2000 ? `${raw.slice(0, 2000)}…` : raw];
}
