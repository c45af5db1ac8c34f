/** A setting the server cannot start with; the CLI prints the message and exits 2. */
export class ConfigError extends Error {}
