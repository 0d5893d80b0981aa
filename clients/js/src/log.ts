/** Log levels, from the most verbose. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** Where log lines go: the level, the message (prefixed with its scope) and any data. */
export type LogSink = (level: LogLevel, message: string, ...args: unknown[]) => void;

export interface ScopeLogOptions {
  /** The least severe level written; "silent" writes nothing. Default "warn". */
  level?: LogLevel | "silent";
  /** Default: the console. */
  sink?: LogSink;
}

/**
 * Logging per scope, as `{ default: {...}, room: {...} }`: a scope without
 * options of its own takes the default's. The client's scopes are `auth`,
 * `client`, `room` and `events`.
 */
export type LogOptions = { default?: ScopeLogOptions } & Record<string, ScopeLogOptions | undefined>;

const rank: Record<LogLevel | "silent", number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, silent: 5 };

const consoleSink: LogSink = (level, message, ...args) => {
  const write = level === "trace" || level === "debug" ? console.debug : console[level];
  write(message, ...args);
};

/** A logger for one scope. */
export class Logger {
  readonly scope: string;
  private readonly options: LogOptions;
  private readonly level: number;
  private readonly sink: LogSink;

  constructor(options: LogOptions = {}, scope = "client", tag?: string) {
    this.options = options;
    this.scope = tag === undefined ? scope : `${scope}:${tag}`;
    const own = options[scope];
    this.level = rank[own?.level ?? options.default?.level ?? "warn"];
    this.sink = own?.sink ?? options.default?.sink ?? consoleSink;
  }

  /** A logger for scope, tagged (a room's name, say). */
  child(scope: string, tag?: string): Logger {
    return new Logger(this.options, scope, tag);
  }

  trace(message: string, ...args: unknown[]): void {
    this.write("trace", message, args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.write("debug", message, args);
  }
  info(message: string, ...args: unknown[]): void {
    this.write("info", message, args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.write("warn", message, args);
  }
  error(message: string, ...args: unknown[]): void {
    this.write("error", message, args);
  }

  private write(level: LogLevel, message: string, args: unknown[]): void {
    if (rank[level] < this.level) return;
    try {
      this.sink(level, `[stagedoor:${this.scope}] ${message}`, ...args);
    } catch {
      // A failing sink must not break what logged.
    }
  }
}
