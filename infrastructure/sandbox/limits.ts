import type { Limits, SandboxHostOptions } from './types.ts';

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({ memoryMb: 128, cpuMs: 1000, wallMs: 5000 });

/** Bounds a caller (global config, per-worker settings) may choose from. */
export const LIMIT_BOUNDS: Readonly<Record<keyof Limits, { min: number; max: number }>> = Object.freeze({
  memoryMb: { min: 8, max: 4096 }, // isolated-vm refuses less than 8 MB
  cpuMs: { min: 1, max: 10 * 60_000 },
  wallMs: { min: 1, max: 10 * 60_000 },
});

/** Settings of the runtime process, fixed when it starts. */
export interface RuntimeConfig {
  maxIsolates: number;
  maxIsolatesPerProject: number;
  maxPoolMemoryMb: number;
  maxResultBytes: number;
  maxHostCallBytes: number;
  maxHostCalls: number;
  maxHostCallsInFlight: number;
  maxLogLines: number;
  maxLogBytes: number;
  maxSourceBytes: number;
}

const MiB = 1024 * 1024;

export function runtimeConfig(options: SandboxHostOptions): RuntimeConfig {
  const positive = (name: keyof RuntimeConfig, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback;
    if (!Number.isSafeInteger(v) || v < 1)
      throw new TypeError(`sandbox option ${name} must be a positive integer`);
    return v;
  };
  return {
    maxIsolates: positive('maxIsolates', options.maxIsolates, 50),
    maxIsolatesPerProject: positive('maxIsolatesPerProject', options.maxIsolatesPerProject, 10),
    maxPoolMemoryMb: positive('maxPoolMemoryMb', options.maxPoolMemoryMb, 4096),
    maxResultBytes: positive('maxResultBytes', options.maxResultBytes, MiB),
    maxHostCallBytes: positive('maxHostCallBytes', options.maxHostCallBytes, MiB),
    maxHostCalls: positive('maxHostCalls', options.maxHostCalls, 1000),
    maxHostCallsInFlight: positive('maxHostCallsInFlight', options.maxHostCallsInFlight, 8),
    maxLogLines: positive('maxLogLines', options.maxLogLines, 200),
    maxLogBytes: positive('maxLogBytes', options.maxLogBytes, 64 * 1024),
    maxSourceBytes: positive('maxSourceBytes', options.maxSourceBytes, MiB),
  };
}

/** Per-call limits over the host's defaults over DEFAULT_LIMITS; throws a TypeError naming a bad one. */
export function resolveLimits(
  defaults: Partial<Limits> | undefined,
  override: Partial<Limits> | undefined,
): Limits {
  const limits = { ...DEFAULT_LIMITS, ...stripUndefined(defaults), ...stripUndefined(override) };
  for (const key of Object.keys(LIMIT_BOUNDS) as (keyof Limits)[]) {
    const value = limits[key];
    const { min, max } = LIMIT_BOUNDS[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new TypeError(
        `sandbox limit ${key} must be a number from ${min} to ${max}, got ${String(value)}`,
      );
    }
  }
  return { memoryMb: Math.round(limits.memoryMb), cpuMs: limits.cpuMs, wallMs: limits.wallMs };
}

function stripUndefined(limits: Partial<Limits> | undefined): Partial<Limits> {
  const out: Partial<Limits> = {};
  if (!limits) return out;
  for (const key of Object.keys(LIMIT_BOUNDS) as (keyof Limits)[]) {
    if (limits[key] !== undefined) out[key] = limits[key];
  }
  return out;
}
