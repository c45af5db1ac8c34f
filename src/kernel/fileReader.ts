/**
 * The one door through which the server reads a file on a tool's behalf (a Compose `file`, its
 * `.env`, an `env_file`). A file is read only when its real path (symlinks resolved) lies under a
 * configured root, it is a regular file (not a FIFO, device, directory or socket), it is not on a
 * kernel pseudo filesystem, and it is no larger than the cap. The read is asynchronous, bounded in
 * bytes and time, and no error ever quotes the file's content. Implemented (and its rules kept) by
 * policy/fileReader.ts; declared here so the domain can be handed one without importing policy.
 */
export interface FileReader {
  /** The text of `path` (absolute), or undefined when it does not exist and `optional` is set. */
  readText(path: string, what: string, opts?: { optional?: boolean }): Promise<string | undefined>;
  /**
   * The real path (symlinks resolved) of the folder `path` (absolute), refused unless it lies under
   * a configured root. Used for build contexts, whose files are then read below that real path.
   */
  realFolder(path: string, what: string): Promise<string>;
  /** The folder relative paths are resolved against: the first root (or the working directory when none is set). */
  readonly baseDir: string;
}
