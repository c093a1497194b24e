/** Who issues a command and in reaction to what: becomes the metadata of every event it appends. */
export interface CommandContext {
  actorId: string | null;
  /** `api`, `cli`, `worker:<id>` or `system`. */
  source: string;
  /** Ties together everything one request caused; a fresh one is made when absent. */
  correlationId?: string;
  /** The id of the event or request that caused this command. */
  causationId?: string | null;
}
