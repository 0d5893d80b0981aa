export { AuthClient, BaseAuthClient } from "./auth.js";
export type { AuthClientEvents, AuthClientOptions, RefreshCallback, RefreshContext } from "./auth.js";
export { anonymousSubject, decodeToken } from "./claims.js";
export type { TokenClaims } from "./claims.js";
export { StagedoorClient } from "./client.js";
export type {
  AnonymousUser,
  AuthenticatedUser,
  ClientOptions,
  ConnectedUser,
  GuestUser,
  StagedoorClientOptions,
  TokenProvider,
  User,
  UserCredential,
} from "./client.js";
export { StagedoorError, isStagedoorError } from "./errors.js";
export type { ErrorCode, Problem } from "./errors.js";
export type { DevelopmentKey } from "./http.js";
export { Logger } from "./log.js";
export type { LogLevel, LogOptions, LogSink, ScopeLogOptions } from "./log.js";
export { refreshTokenFlow } from "./refresh.js";
export type { RefreshTokenFlowOptions } from "./refresh.js";
export type { RetryOptions } from "./retry.js";
export { Room } from "./room.js";
export type { RoomEvents, RoomSnapshot, RoomState } from "./room.js";
export type { TokenStorage } from "./storage.js";
export type * from "./types.js";
