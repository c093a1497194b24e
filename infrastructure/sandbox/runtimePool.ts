// Several runtime processes, projects assigned to them (issue 12, item 4; docs/adr/0022-runtime-processes.md).
// A catastrophic V8 error (a hard out-of-memory in an 8 MB isolate, say) ends the whole runtime process that holds
// the isolate, and with it every invocation running there. So that one project cannot take every other project's
// invocations down with it, the worker runtime runs `processes` shared runtime processes, each project pinned to
// one of them (the one with the fewest projects when the project first runs); and a project whose invocation
// brought a process down is moved to a quarantine process: one of its own while there are fewer than
// `quarantineProcesses`, else the quarantine process with the fewest projects. Invocations lost to a crash they did
// not cause are run again once (SandboxHost.invoke). Each process is a SandboxHost: supervised, restarted with
// backoff, with its share of the warm-isolate budget.
import { SandboxHost } from './sandboxHost.ts';
import type {
  CompileResult,
  InvocationRequest,
  InvocationResult,
  IsolateInfo,
  SandboxHostOptions,
  SandboxState,
  SandboxStatus,
  WorkerLanguage,
} from './types.ts';

export interface RuntimePoolOptions extends Omit<SandboxHostOptions, 'onCatastrophe'> {
  /** Runtime processes shared by the projects. Default 2. */
  processes?: number;
  /** Processes for projects that crashed one; past this many, such projects share them. Default 2. */
  quarantineProcesses?: number;
}

export type RuntimeRole = 'shared' | 'quarantine';

export interface RuntimeProcessStatus extends SandboxStatus {
  role: RuntimeRole;
  /** How many projects are assigned to it. */
  projects: number;
}

export interface RuntimePoolStatus extends SandboxStatus {
  processes: RuntimeProcessStatus[];
  /** Projects moved to a quarantine process after their invocation crashed a runtime process. */
  quarantined: string[];
}

interface Slot {
  role: RuntimeRole;
  host: SandboxHost;
  projects: Set<string>;
}

export class RuntimePool {
  readonly #options: SandboxHostOptions;
  readonly #shared: Slot[];
  readonly #quarantine: Slot[] = [];
  readonly #maxQuarantine: number;
  readonly #assigned = new Map<string, Slot>();
  #nextCompile = 0;
  #closed = false;

  constructor(options: RuntimePoolOptions = {}) {
    const { processes = 2, quarantineProcesses = 2, ...hostOptions } = options;
    if (!Number.isSafeInteger(processes) || processes < 1)
      throw new TypeError('processes must be a positive integer');
    if (!Number.isSafeInteger(quarantineProcesses) || quarantineProcesses < 0)
      throw new TypeError('quarantineProcesses must be a non-negative integer');
    // The warm-isolate budget is the installation's: each process gets an even share of it.
    const share = (total: number | undefined, fallback: number) =>
      Math.max(1, Math.ceil((total ?? fallback) / processes));
    this.#options = {
      ...hostOptions,
      maxIsolates: share(hostOptions.maxIsolates, 50),
      maxPoolMemoryMb: share(hostOptions.maxPoolMemoryMb, 4096),
    };
    this.#maxQuarantine = quarantineProcesses;
    this.#shared = Array.from({ length: processes }, () => this.#slot('shared'));
  }

  /** Starts the shared runtime processes now rather than at the first call. */
  async start(): Promise<void> {
    await Promise.all(this.#shared.map((slot) => slot.host.start()));
  }

  /** Runs the invocation in its project's runtime process (see SandboxHost.invoke). */
  invoke(request: InvocationRequest): Promise<InvocationResult> {
    const projectId = request.projectId;
    const slot =
      projectId === undefined ? this.#shared[0]! : (this.#assigned.get(projectId) ?? this.#assign(projectId));
    return slot.host.invoke(request);
  }

  compileWorker(source: string, language?: WorkerLanguage): Promise<CompileResult> {
    const slot = this.#shared[this.#nextCompile++ % this.#shared.length]!;
    return slot.host.compileWorker(source, language);
  }

  /** Drops a worker's warm isolates in every runtime process (a project may have moved). */
  async dispose(workerId: string, version?: number): Promise<number> {
    const counts = await Promise.all(this.#slots().map((slot) => slot.host.dispose(workerId, version)));
    return counts.reduce((a, b) => a + b, 0);
  }

  async isolates(): Promise<IsolateInfo[]> {
    return (await Promise.all(this.#slots().map((slot) => slot.host.isolates()))).flat();
  }

  /** The runtime process a project's invocations run in, if it ran since this m3m process started. */
  processOf(projectId: string): { role: RuntimeRole; index: number; pid: number | null } | null {
    const slot = this.#assigned.get(projectId);
    if (!slot) return null;
    const list = slot.role === 'shared' ? this.#shared : this.#quarantine;
    return { role: slot.role, index: list.indexOf(slot), pid: slot.host.status().pid };
  }

  status(): RuntimePoolStatus {
    const processes = this.#slots().map((slot) => ({
      ...slot.host.status(),
      role: slot.role,
      projects: slot.projects.size,
    }));
    const exits = processes
      .map((p) => p.lastExit)
      .filter((e): e is NonNullable<SandboxStatus['lastExit']> => e !== null)
      .sort((a, b) => a.at.localeCompare(b.at));
    return {
      state: this.#closed ? 'closed' : overallState(processes.map((p) => p.state)),
      pid: processes[0]?.pid ?? null,
      restarts: processes.reduce((n, p) => n + p.restarts, 0),
      inFlight: processes.reduce((n, p) => n + p.inFlight, 0),
      lastExit: exits.at(-1) ?? null,
      processes,
      quarantined: this.#quarantine.flatMap((slot) => [...slot.projects]),
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots().map((slot) => slot.host.close()));
  }

  #slots(): Slot[] {
    return [...this.#shared, ...this.#quarantine];
  }

  #slot(role: RuntimeRole): Slot {
    const slot: Slot = { role, projects: new Set(), host: undefined as unknown as SandboxHost };
    slot.host = new SandboxHost({
      ...this.#options,
      onCatastrophe: ({ projectIds, message }) => {
        for (const projectId of projectIds) this.#quarantineProject(projectId, slot, message);
      },
    });
    return slot;
  }

  /** A project that has not run yet goes to the shared process with the fewest projects. */
  #assign(projectId: string): Slot {
    const slot = fewest(this.#shared);
    slot.projects.add(projectId);
    this.#assigned.set(projectId, slot);
    return slot;
  }

  /** Moves a project whose invocation crashed `from` into quarantine (it stays there while this m3m runs). */
  #quarantineProject(projectId: string, from: Slot, message: string): void {
    if (this.#closed || this.#maxQuarantine === 0) return;
    const current = this.#assigned.get(projectId);
    if (current && current !== from) return; // moved already
    // Alone in a quarantine process already: nothing to protect from it.
    if (from.role === 'quarantine' && from.projects.size <= 1) return;
    let target: Slot;
    if (this.#quarantine.length < this.#maxQuarantine) {
      target = this.#slot('quarantine');
      this.#quarantine.push(target);
    } else {
      target = fewest(this.#quarantine.filter((slot) => slot !== from));
    }
    if (!target || target === from) return;
    from.projects.delete(projectId);
    target.projects.add(projectId);
    this.#assigned.set(projectId, target);
    this.#options.logger?.warn(
      { projectId, crash: message, quarantineProcess: this.#quarantine.indexOf(target) },
      'a project crashed its runtime process: its invocations now run in a quarantine process',
    );
    // Its warm isolates in the old process died with it; nothing to move.
  }
}

function fewest(slots: Slot[]): Slot {
  let best = slots[0]!;
  for (const slot of slots) if (slot.projects.size < best.projects.size) best = slot;
  return best;
}

function overallState(states: SandboxState[]): SandboxState {
  if (states.includes('restarting')) return 'restarting';
  if (states.includes('starting')) return 'starting';
  if (states.includes('ready')) return 'ready';
  return 'idle';
}
