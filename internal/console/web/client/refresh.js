import { send } from "./http.js";
import { Logger } from "./log.js";
import { defaultRetry } from "./retry.js";
/**
 * A refresh callback that trades stagedoor refresh tokens at
 * POST /v1/tokens/refresh. Refresh tokens are single use: each trade
 * returns the next one, which the callback keeps in memory only, never in
 * storage. Once the family is revoked (a revocation of the user, say) the
 * server answers 400 invalid_grant, which the AuthClient takes as final.
 * A trade whose answer is lost on the way cannot be made again: the server
 * already took the token, and presenting it twice ends its family
 * (400 refresh_reused), so the user signs in again.
 */
export function refreshTokenFlow(options) {
    let refreshToken = options.refreshToken;
    const transport = {
        baseUrl: options.baseUrl,
        fetch: options.fetch ?? ((input, init) => fetch(input, init)),
        retry: defaultRetry,
        log: new Logger({}, "auth"),
    };
    return async ({ signal }) => {
        const t = await send(transport, "POST", "/v1/tokens/refresh", { body: { refresh_token: refreshToken }, signal });
        if (t.refresh_token !== undefined)
            refreshToken = t.refresh_token;
        return t.access_token;
    };
}
