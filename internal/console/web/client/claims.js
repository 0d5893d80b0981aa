import { StagedoorError } from "./errors.js";
/** The subject of anonymous users' tokens. */
export const anonymousSubject = "!anon";
/**
 * The claims of a compact JWS, read without checking its signature: the
 * server checks tokens; the client only needs to know when one expires and
 * whom it names.
 */
export function decodeToken(token) {
    const parts = token.split(".");
    let claims;
    try {
        if (parts.length !== 3 || parts[1] === undefined)
            throw new Error("not three parts");
        claims = JSON.parse(base64url(parts[1]));
    }
    catch (e) {
        throw malformed(`not a compact JWS: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (claims === null || typeof claims !== "object")
        throw malformed("its claims are not an object");
    const c = claims;
    if (typeof c.exp !== "number" || typeof c.iat !== "number" || typeof c.sub !== "string") {
        throw malformed("it lacks exp, iat or sub");
    }
    return c;
}
function base64url(s) {
    const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4);
    const bin = atob(b64);
    const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}
function malformed(why) {
    return new StagedoorError({ code: "malformed", status: 0, detail: `the token is malformed: ${why}` });
}
