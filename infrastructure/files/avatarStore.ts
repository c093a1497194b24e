import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AvatarStore } from '../../application/ports/avatarStore.ts';

/** `<sha256>.<ext>`: the only names ever read, so a request can never reach outside the folder. */
export const AVATAR_FILE_PATTERN = /^[0-9a-f]{64}\.(png|jpg|webp)$/;

export const AVATAR_CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  webp: 'image/webp',
};

export interface FileAvatarStore extends AvatarStore {
  /** The bytes and content type of a stored avatar, or `null`. */
  read(file: string): Promise<{ bytes: Buffer; contentType: string } | null>;
}

/**
 * Avatars as files under `<dataDir>/avatars`, named by the SHA-256 of their content. Writing goes through a
 * temporary file and a rename, so a reader never sees half a picture; files are never changed or deleted (an
 * old event may still name them).
 */
export function fileAvatarStore(dataDir: string): FileAvatarStore {
  const dir = join(dataDir, 'avatars');
  return {
    async save(bytes, extension) {
      const file = `${createHash('sha256').update(bytes).digest('hex')}.${extension}`;
      if (!AVATAR_FILE_PATTERN.test(file)) throw new Error(`Unsupported avatar extension: ${extension}`);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // Unique per call: two uploads of one picture at once must not share (and rename away) one temporary file.
      const temporary = join(dir, `.${file}.${randomUUID()}.tmp`);
      await writeFile(temporary, bytes, { mode: 0o644 });
      await rename(temporary, join(dir, file));
      return file;
    },
    async read(file) {
      if (!AVATAR_FILE_PATTERN.test(file)) return null;
      try {
        const bytes = await readFile(join(dir, file));
        return { bytes, contentType: AVATAR_CONTENT_TYPES[file.split('.')[1]!]! };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
  };
}
