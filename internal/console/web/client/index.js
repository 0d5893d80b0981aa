export { AuthClient, BaseAuthClient } from "./auth.js";
export { anonymousSubject, decodeToken } from "./claims.js";
export { StagedoorClient } from "./client.js";
export { StagedoorError, isStagedoorError } from "./errors.js";
export { Logger } from "./log.js";
export { refreshTokenFlow } from "./refresh.js";
export { Room } from "./room.js";
