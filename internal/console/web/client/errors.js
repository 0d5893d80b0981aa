/**
 * Every failure the client reports: a problem the server answered (its
 * status, stable code and detail), or one of the client's own (status 0).
 */
export class StagedoorError extends Error {
    name = "StagedoorError";
    code;
    status;
    detail;
    field;
    missingPermission;
    retryAfter;
    constructor(init) {
        super(init.detail || init.code, init.cause === undefined ? undefined : { cause: init.cause });
        this.code = init.code;
        this.status = init.status;
        this.detail = init.detail;
        this.field = init.field;
        this.missingPermission = init.missingPermission;
        this.retryAfter = init.retryAfter;
    }
    /**
     * Whether trying again may succeed: no answer came (the network or the
     * connection failed), the server failed (5xx) or asked to slow down
     * (429). A 4xx other than 429 is an answer about the request itself.
     */
    get retryable() {
        return this.code === "network_error" || this.status >= 500 || this.status === 429;
    }
    /** The error of a non-2xx answer, read from its problem+json body. */
    static async fromResponse(res) {
        const retryAfter = retryAfterOf(res.headers.get("Retry-After"));
        let problem = {};
        try {
            const body = await res.json();
            if (body !== null && typeof body === "object")
                problem = body;
        }
        catch {
            // Not JSON: a proxy's page, say. The status still tells.
        }
        return new StagedoorError({
            code: typeof problem.code === "string" ? problem.code : codeOfStatus(res.status),
            status: res.status,
            detail: typeof problem.detail === "string" ? problem.detail : `${res.status} ${res.statusText}`.trim(),
            field: typeof problem.field === "string" ? problem.field : undefined,
            missingPermission: typeof problem.missing_permission === "string" ? problem.missing_permission : undefined,
            retryAfter,
        });
    }
    /**
     * err as a StagedoorError: itself, or, for what a callback threw, an
     * error with the status it names (a `status` number, as HTTP client
     * errors carry) or none, which counts as a network failure.
     */
    static from(err, code = "network_error") {
        if (err instanceof StagedoorError)
            return err;
        const status = statusOf(err);
        const detail = err instanceof Error ? err.message : String(err);
        if (status === 0)
            return new StagedoorError({ code, status: 0, detail, cause: err });
        return new StagedoorError({ code: codeOfStatus(status), status, detail, cause: err });
    }
}
/** Whether err is a StagedoorError, with code if given. */
export function isStagedoorError(err, code) {
    return err instanceof StagedoorError && (code === undefined || err.code === code);
}
/** The error that ends what a closed client was doing. */
export function closedError(what) {
    return new StagedoorError({ code: "closed", status: 0, detail: `${what} is closed` });
}
function statusOf(err) {
    if (err !== null && typeof err === "object" && "status" in err) {
        const s = err.status;
        if (typeof s === "number" && Number.isInteger(s) && s >= 400 && s <= 599)
            return s;
    }
    return 0;
}
function codeOfStatus(status) {
    if (status === 401)
        return "invalid_token";
    if (status === 403)
        return "forbidden";
    if (status === 404)
        return "not_found";
    if (status === 429)
        return "rate_limited";
    if (status >= 500)
        return "unavailable";
    return "http_" + status;
}
/** Retry-After in ms: delta seconds or an HTTP date. */
function retryAfterOf(v) {
    if (v === null || v.trim() === "")
        return undefined;
    if (/^\d+$/.test(v.trim()))
        return Number(v.trim()) * 1000;
    const at = Date.parse(v);
    return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
