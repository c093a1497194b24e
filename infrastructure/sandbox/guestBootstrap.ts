// The JavaScript that runs first in every worker isolate, before the worker's module (see
// docs/adr/0006-sandbox.md). It is a string, not TypeScript, because it runs inside the isolate: no build
// step, coverage tool or type stripper may touch it.
//
// It receives, as closure arguments (never as globals):
//   hostCall(epoch, callId, method, argsJson)  an isolated-vm Callback in "ignored" mode; the reply comes
//                                              back later through dispatcher.deliver(callId, replyJson)
//   hostLog(level, message)                    a synchronous Callback that records one log line and
//                                              returns false once the invocation's log is full
//   hostTimer(epoch, timerId, delayMs)         an isolated-vm Callback in "ignored" mode: the runtime process
//                                              calls dispatcher.fire(epoch, timerId) after the delay, unless
//                                              the invocation has ended by then
//   configJson                                 { methods, maxResultBytes, maxHostCallBytes,
//                                                maxHostCallsInFlight, maxMessageChars, maxTimers }
// Only strings and numbers ever go to those callbacks. It defines the frozen global `m3m` and `console`,
// removes the APIs that let memory grow outside isolated-vm's `memoryLimit` (WebAssembly memories,
// resizable and growable buffers), and returns the dispatcher the runtime process drives:
//   bind(namespace) → '' or an error message, invoke(epoch, handler, inputJson) → envelope (with the
//   count of log lines dropped in the guest),
//   deliver(callId, replyJson), fire(epoch, timerId).
// It also defines setTimeout/clearTimeout (bounded by the invocation: pending timers are dropped when it ends)
// and queueMicrotask; setInterval and setImmediate throw a TypeError saying what to use instead.
// Everything it needs from the language is captured before any worker code runs, so a worker that
// replaces JSON, Reflect, Object.prototype methods and the like only affects itself.

export const BOOTSTRAP_FILENAME = 'm3m-runtime.js';

// biome-ignore lint/complexity/noUselessStringRaw: a backslash added to the guest code must reach the guest as written
export const GUEST_BOOTSTRAP = String.raw`(function m3mBootstrap(hostCall, hostLog, hostTimer, configJson) {
  'use strict';
  const g = globalThis;
  const freeze = Object.freeze;
  const defineProperty = Object.defineProperty;
  const objectKeys = Object.keys;
  const hasOwn = Object.hasOwn;
  const create = Object.create;
  const isArray = Array.isArray;
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const apply = Reflect.apply;
  const ErrorCtor = Error;
  const captureStackTrace = Error.captureStackTrace;
  const TypeErrorCtor = TypeError;
  const RangeErrorCtor = RangeError;
  const PromiseCtor = Promise;
  const StringCtor = String;
  const stringSlice = String.prototype.slice;
  const stringSplit = String.prototype.split;
  const objectToString = Object.prototype.toString;
  const symbolToString = Symbol.prototype.toString;
  const bigintToString = BigInt.prototype.toString;
  const dateToISOString = Date.prototype.toISOString;
  const config = parse(configJson);
  const maxMessage = config.maxMessageChars;

  // Memory that isolated-vm's memoryLimit does not see: WebAssembly memories and ArrayBuffers that can
  // grow in place after creation. Without the methods, a resizable buffer can never outgrow its size.
  delete g.WebAssembly;
  delete ArrayBuffer.prototype.resize;
  delete ArrayBuffer.prototype.transfer;
  delete ArrayBuffer.prototype.transferToFixedLength;
  if (typeof SharedArrayBuffer === 'function') delete SharedArrayBuffer.prototype.grow;

  const cut = (s, n) => (s.length > n ? apply(stringSlice, s, [0, n]) + '…' : s);

  // console.log-like formatting, done here so only one string per line crosses to the host.
  function format(value, depth, seen) {
    const t = typeof value;
    if (t === 'string') return depth === 0 ? value : stringify(cut(value, 1000));
    if (value === null || t === 'undefined' || t === 'number' || t === 'boolean') return StringCtor(value);
    if (t === 'bigint') return apply(bigintToString, value, []) + 'n';
    if (t === 'symbol') return apply(symbolToString, value, []);
    if (t === 'function') {
      const name = value.name;
      return '[Function: ' + (typeof name === 'string' && name ? name : '(anonymous)') + ']';
    }
    for (let i = 0; i < seen.length; i++) if (seen[i] === value) return '[Circular]';
    const tag = apply(objectToString, value, []);
    if (tag === '[object Error]' || value instanceof ErrorCtor) {
      const stack = value.stack;
      if (typeof stack === 'string' && depth === 0) return stack;
      return StringCtor(value.name) + ': ' + StringCtor(value.message);
    }
    if (tag === '[object Date]') {
      try { return apply(dateToISOString, value, []); } catch (e) { return 'Invalid Date'; }
    }
    if (depth > 2) return isArray(value) ? '[Array]' : '[Object]';
    seen[seen.length] = value;
    let out;
    if (isArray(value)) {
      const n = value.length;
      const parts = [];
      for (let i = 0; i < n && i < 50; i++) parts[parts.length] = format(value[i], depth + 1, seen);
      if (n > 50) parts[parts.length] = '... ' + (n - 50) + ' more items';
      out = parts.length ? '[ ' + join(parts, ', ') + ' ]' : '[]';
    } else {
      const keys = objectKeys(value);
      const parts = [];
      for (let i = 0; i < keys.length && i < 50; i++) {
        parts[parts.length] = keys[i] + ': ' + format(value[keys[i]], depth + 1, seen);
      }
      if (keys.length > 50) parts[parts.length] = '... ' + (keys.length - 50) + ' more keys';
      out = parts.length ? '{ ' + join(parts, ', ') + ' }' : '{}';
    }
    seen.length = seen.length - 1;
    return out;
  }
  function join(parts, sep) {
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      if (i) out += sep;
      out += parts[i];
      if (out.length > maxMessage) break;
    }
    return out;
  }
  function formatArgs(args) {
    const parts = [];
    for (let i = 0; i < args.length; i++) {
      let s;
      try { s = format(args[i], 0, []); } catch (e) { s = '[unformattable value]'; }
      parts[parts.length] = s;
    }
    return cut(join(parts, ' '), maxMessage);
  }
  // Once the host says this invocation's log is full, lines are only counted here: a flood of
  // console.log costs neither formatting nor a call to the host per line.
  let logsFull = false;
  let logsDropped = 0;
  function logger(level) {
    return function () {
      if (logsFull) {
        logsDropped++;
        return;
      }
      if (hostLog(level, formatArgs(arguments)) === false) logsFull = true;
    };
  }
  const log = freeze({ debug: logger('debug'), info: logger('info'), warn: logger('warn'), error: logger('error') });

  // Host calls: JSON text out, JSON text back. A Proxy or getter in the arguments runs here, in the
  // guest, while the arguments are serialised; the host only ever sees the resulting string.
  function strictReplacer(key, value) {
    const t = typeof value;
    if (t === 'function' || t === 'symbol') {
      throw new TypeErrorCtor('a ' + t + (key === '' ? '' : ' at key ' + stringify(key)) + ' cannot be copied as JSON');
    }
    return value;
  }
  function toJson(value, what) {
    try {
      return stringify(value, strictReplacer);
    } catch (e) {
      let reason = 'it is not JSON-serialisable';
      try { if (e instanceof ErrorCtor && typeof e.message === 'string') reason = e.message; } catch (_) {}
      throw new TypeErrorCtor(what + ' must be JSON-serialisable: ' + reason);
    }
  }
  let epoch = 0;
  let nextCallId = 0;
  let pending = create(null);
  // At most config.maxHostCallsInFlight calls wait on the host at once; the others wait here, in order,
  // so a fan-out's arguments stay in this isolate's memory instead of the server's.
  let inFlight = 0;
  let waiting = create(null);
  let waitingHead = 0;
  let waitingTail = 0;
  function release() {
    if (waitingHead === waitingTail) {
      inFlight--;
      return;
    }
    const next = waiting[waitingHead];
    delete waiting[waitingHead++];
    next();
  }
  // The error a failed host call throws in the guest: made here from the reply's name and message only,
  // its stack starting at the worker's own (async) frame that called m3m.
  function hostError(error, method) {
    const err = new ErrorCtor(typeof error.message === 'string' ? error.message : 'host call failed');
    if (typeof error.name === 'string' && error.name !== 'Error') {
      defineProperty(err, 'name', { value: error.name, writable: true, enumerable: false, configurable: true });
    }
    if (typeof captureStackTrace === 'function') captureStackTrace(err, method);
    return err;
  }
  function hostMethod(path, name, prefix) {
    const method = async function () {
      const args = prefix === undefined ? [] : [prefix];
      // Trailing undefined arguments are left out (JSON would make them null): f(a, undefined) is f(a).
      let count = arguments.length;
      while (count > 0 && arguments[count - 1] === undefined) count--;
      for (let i = 0; i < count; i++) args[args.length] = arguments[i];
      const argsJson = toJson(args, 'the arguments of m3m.' + path);
      if (argsJson.length > config.maxHostCallBytes) {
        throw new RangeErrorCtor('the arguments of m3m.' + path + ' are too large (limit ' + config.maxHostCallBytes + ' bytes)');
      }
      const callEpoch = epoch;
      // A waiting call is handed the slot of the call that finished, so the count never passes the limit.
      if (inFlight >= config.maxHostCallsInFlight) {
        await new PromiseCtor(function (resolve) { waiting[waitingTail++] = resolve; });
      } else inFlight++;
      const callId = ++nextCallId;
      let reply;
      try {
        reply = await new PromiseCtor(function (resolve) {
          pending[callId] = resolve;
          hostCall(epoch, callId, path, argsJson);
        });
      } finally {
        if (callEpoch === epoch) release();
      }
      if (reply.ok === true) return hasOwn(reply, 'value') ? reply.value : undefined;
      throw hostError(reply.error, method);
    };
    defineProperty(method, 'name', { value: name });
    return method;
  }

  const m3m = {};
  const modelOps = [];
  for (let i = 0; i < config.methods.length; i++) {
    const path = config.methods[i];
    const segments = apply(stringSplit, path, ['.']);
    if (segments[0] === 'models' && segments.length === 2) {
      modelOps[modelOps.length] = segments[1];
      continue;
    }
    let node = m3m;
    for (let j = 0; j < segments.length - 1; j++) {
      if (!hasOwn(node, segments[j])) node[segments[j]] = {};
      node = node[segments[j]];
    }
    node[segments[segments.length - 1]] = hostMethod(path, segments[segments.length - 1], undefined);
  }
  if (modelOps.length) {
    m3m.models = {
      collection: function collection(name) {
        if (typeof name !== 'string' || name === '') throw new TypeErrorCtor('m3m.models.collection(name) needs a non-empty string');
        const c = {};
        for (let i = 0; i < modelOps.length; i++) c[modelOps[i]] = hostMethod('models.' + modelOps[i], modelOps[i], name);
        return freeze(c);
      },
    };
  }
  m3m.log = log;
  (function deepFreeze(o) {
    const keys = objectKeys(o);
    for (let i = 0; i < keys.length; i++) {
      const v = o[keys[i]];
      if (v !== null && typeof v === 'object') deepFreeze(v);
    }
    freeze(o);
  })(m3m);
  defineProperty(g, 'm3m', { value: m3m, writable: false, enumerable: false, configurable: false });
  defineProperty(g, 'console', {
    value: freeze({ log: log.info, info: log.info, debug: log.debug, warn: log.warn, error: log.error, trace: log.debug }),
    writable: true,
    enumerable: false,
    configurable: true,
  });

  // Timers: the runtime process waits, this side keeps the callbacks. They belong to one invocation: when it
  // ends, pending ones are dropped (their wake-ups carry the old epoch and are ignored).
  let timers = create(null);
  let nextTimerId = 0;
  let timerCount = 0;
  function reportUncaught(where, e) {
    log.error('Uncaught exception in a ' + where + ' callback: ' + formatArgs([e]));
  }
  function setTimeoutFn(callback) {
    if (typeof callback !== 'function') {
      throw new TypeErrorCtor('setTimeout(callback, delay) needs a function as callback');
    }
    if (++timerCount > config.maxTimers) {
      throw new RangeErrorCtor('too many timers in one invocation (limit ' + config.maxTimers + ')');
    }
    let delay = +arguments[1];
    if (!(delay >= 0)) delay = 0;
    const args = [];
    for (let i = 2; i < arguments.length; i++) args[args.length] = arguments[i];
    const id = ++nextTimerId;
    timers[id] = { callback: callback, args: args };
    hostTimer(epoch, id, delay);
    return id;
  }
  function clearTimeoutFn(id) {
    if (typeof id === 'number') delete timers[id];
  }
  function queueMicrotaskFn(callback) {
    if (typeof callback !== 'function') throw new TypeErrorCtor('queueMicrotask(callback) needs a function');
    PromiseCtor.resolve().then(function () {
      try { callback(); } catch (e) { reportUncaught('queueMicrotask', e); }
    });
  }
  function unavailable(name, instead) {
    const fn = function () {
      throw new TypeErrorCtor(name + ' is not available in workers: ' + instead);
    };
    defineProperty(fn, 'name', { value: name });
    return fn;
  }
  const globals = {
    setTimeout: setTimeoutFn,
    clearTimeout: clearTimeoutFn,
    queueMicrotask: queueMicrotaskFn,
    setInterval: unavailable('setInterval', 'an invocation ends when its handler returns; use a schedule trigger (triggers.cron) for work that repeats, or setTimeout within the invocation'),
    clearInterval: clearTimeoutFn,
    setImmediate: unavailable('setImmediate', 'use setTimeout(callback, 0) or queueMicrotask(callback)'),
  };
  const globalNames = objectKeys(globals);
  for (let i = 0; i < globalNames.length; i++) {
    defineProperty(g, globalNames[i], { value: globals[globalNames[i]], writable: true, enumerable: false, configurable: true });
  }
  function fire(timerEpoch, id) {
    if (timerEpoch !== epoch) return;
    const timer = timers[id];
    if (timer === undefined) return;
    delete timers[id];
    try { apply(timer.callback, undefined, timer.args); } catch (e) { reportUncaught('setTimeout', e); }
  }

  // The dispatcher, returned to the runtime process only (as an isolated-vm Reference).
  let handlers;
  function describeError(e) {
    let name = 'Error';
    let message = '';
    let stack = '';
    try {
      if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
        const n = e.name;
        const m = e.message;
        const s = e.stack;
        if (typeof n === 'string') name = n;
        if (typeof m === 'string') message = m;
        if (typeof s === 'string') stack = s;
        if (typeof m !== 'string' && typeof s !== 'string') message = 'Uncaught ' + format(e, 1, []);
      } else {
        message = 'Uncaught ' + format(e, 1, []);
      }
    } catch (_) {
      message = 'Uncaught exception (unreadable)';
    }
    return { ok: false, name: cut(name, 100), message: cut(message, 4000), stack: cut(stack, 16000) };
  }
  function bind(namespace) {
    let exported;
    try {
      exported = namespace.default;
    } catch (e) {
      return 'the worker module did not finish evaluating: a top-level await must settle at once (it cannot wait for m3m calls); initialise lazily inside a handler';
    }
    if (exported === null || (typeof exported !== 'object' && typeof exported !== 'function')) {
      return 'the worker must export its handlers as the default export, e.g. export default { async run(input) { ... } }';
    }
    handlers = exported;
    return '';
  }
  async function invoke(invocationEpoch, name, inputJson) {
    epoch = invocationEpoch;
    pending = create(null);
    timers = create(null);
    timerCount = 0;
    inFlight = 0;
    waiting = create(null);
    waitingHead = 0;
    waitingTail = 0;
    logsFull = false;
    logsDropped = 0;
    const envelope = await call(name, inputJson);
    timers = create(null); // the invocation is over: what has not fired never will
    envelope.dropped = logsDropped;
    return envelope;
  }
  async function call(name, inputJson) {
    let fn;
    try { fn = handlers[name]; } catch (e) { return describeError(e); }
    if (typeof fn !== 'function') {
      return { ok: false, name: 'TypeError', message: 'the worker has no ' + name + ' handler (export default { async ' + name + '(...) { ... } })', stack: '' };
    }
    const input = inputJson === undefined ? undefined : parse(inputJson);
    let value;
    try { value = await apply(fn, handlers, [input]); } catch (e) { return describeError(e); }
    let json;
    try { json = toJson(value, 'the result of ' + name); } catch (e) { return describeError(e); }
    if (json === undefined) return { ok: true };
    if (json.length > config.maxResultBytes) {
      return { ok: false, name: 'RangeError', message: 'result too large: ' + json.length + ' characters of JSON (limit ' + config.maxResultBytes + ' bytes)', stack: '' };
    }
    return { ok: true, json: json };
  }
  function deliver(callId, replyJson) {
    const resolve = pending[callId];
    if (resolve === undefined) return;
    delete pending[callId];
    let reply;
    try { reply = parse(replyJson); } catch (e) { reply = { ok: false, error: { name: 'Error', message: 'unreadable reply from the host' } }; }
    resolve(reply);
  }
  return freeze({ bind: bind, invoke: invoke, deliver: deliver, fire: fire });
})`;
