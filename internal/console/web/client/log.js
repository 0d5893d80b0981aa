const rank = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, silent: 5 };
const consoleSink = (level, message, ...args) => {
    const write = level === "trace" || level === "debug" ? console.debug : console[level];
    write(message, ...args);
};
/** A logger for one scope. */
export class Logger {
    scope;
    options;
    level;
    sink;
    constructor(options = {}, scope = "client", tag) {
        this.options = options;
        this.scope = tag === undefined ? scope : `${scope}:${tag}`;
        const own = options[scope];
        this.level = rank[own?.level ?? options.default?.level ?? "warn"];
        this.sink = own?.sink ?? options.default?.sink ?? consoleSink;
    }
    /** A logger for scope, tagged (a room's name, say). */
    child(scope, tag) {
        return new Logger(this.options, scope, tag);
    }
    trace(message, ...args) {
        this.write("trace", message, args);
    }
    debug(message, ...args) {
        this.write("debug", message, args);
    }
    info(message, ...args) {
        this.write("info", message, args);
    }
    warn(message, ...args) {
        this.write("warn", message, args);
    }
    error(message, ...args) {
        this.write("error", message, args);
    }
    write(level, message, args) {
        if (rank[level] < this.level)
            return;
        try {
            this.sink(level, `[stagedoor:${this.scope}] ${message}`, ...args);
        }
        catch {
            // A failing sink must not break what logged.
        }
    }
}
