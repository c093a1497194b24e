/** Where avatar pictures live: content-addressed, so a stored file never changes. */
export interface AvatarStore {
  /** Stores the bytes (idempotently) and returns the file name, `<sha256>.<ext>`. */
  save(bytes: Uint8Array, extension: string): Promise<string>;
}
