import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';

/**
 * Where uploaded files (creative images) live. The platform talks to this interface
 * only; `LocalDiskStorage` is the default, `S3Storage` (s3-storage.ts) the S3-compatible
 * one, and `createStorage` picks between them from the configuration.
 */
export interface BlobStorage {
  put(key: string, data: Uint8Array, contentType: string): Promise<void>;
  /** The bytes, or null when nothing is stored under `key`. */
  get(key: string): Promise<Uint8Array | null>;
}

const KEY = /^[a-z0-9][a-z0-9/_.-]{0,250}$/;

/** Keys are made by the platform; every driver still refuses one that could escape its
 *  root (a directory, a key prefix) before it touches storage. */
export function assertStorageKey(key: string): void {
  if (!KEY.test(key) || key.includes('..')) throw new Error(`invalid storage key: ${key}`);
}

export class LocalDiskStorage implements BlobStorage {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private pathOf(key: string): string {
    assertStorageKey(key);
    // Belt and braces: whatever the key rule allows, the resolved path stays under the root.
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new Error(`invalid storage key: ${key}`);
    return path;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    // Write then rename: a reader never sees half a file.
    const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temp, data);
    await rename(temp, path);
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }
}
