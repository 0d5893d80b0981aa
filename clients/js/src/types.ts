/** The wire shapes of the HTTP API (api/openapi.json), as the client returns them. */

export type Source = "camera" | "microphone" | "screen";

/** A permission of the vocabulary, e.g. "room.join", "produce.camera", "moderate.admit". */
export type Permission = string;

export type SessionState = "waiting" | "joined" | "ended";

/** One participant's presence in a room. */
export interface Session {
  session_id: string;
  room: string;
  /** The token's participant binding, else its subject. */
  participant: string;
  user_id: string;
  role: string;
  /** The session's effective permissions, which moderators may change. */
  permissions: Permission[];
  state: SessionState;
  sources: Source[];
  /** The session ends unless renewed by a heartbeat before (RFC 3339). */
  lease_until: string;
  /**
   * Under the continuous session policy, when the session's token expires:
   * the session ends then unless the token is replaced (POST .../token),
   * which a Room does a lease before.
   */
  token_expires_at?: string;
  end_reason?: string;
  created_at: string;
}

export interface Producer {
  session_id: string;
  participant: string;
  sources: Source[];
}

export type RoomType = "livestream" | "private" | "conference" | "custom";

export interface RoomInfo {
  name: string;
  type: RoomType;
  max_producers: number;
  max_participants: number;
  metadata?: unknown;
  created_by: string;
  created_at: string;
  ended_at?: string;
}

/** A room with who is in it, who waits and who produces. */
export interface RoomView extends RoomInfo {
  participants: Session[];
  waiting: Session[];
  producers: Producer[];
}

export interface RoomRequest {
  name: string;
  type?: RoomType;
  max_producers?: number;
  max_participants?: number;
  metadata?: unknown;
}

/** A session's request for a permission (a raised hand). */
export interface PermissionRequest {
  id: string;
  session_id: string;
  permission: Permission;
  state: "pending" | "granted" | "denied";
}

export interface ResolvedRequest {
  request: PermissionRequest;
  session: Session;
}

export type RoomEventType =
  | "room.created"
  | "room.ended"
  | "session.joined"
  | "session.waiting"
  | "session.admitted"
  | "session.ended"
  | "produce.started"
  | "produce.stopped"
  | "permissions.changed"
  | "request.created"
  | "request.resolved";

/** One thing that happened in a room, in order. */
export interface RoomEvent {
  /** Strictly increasing: the id a stream resumes after. */
  seq: number;
  type: RoomEventType;
  room: string;
  session_id?: string;
  time: string;
  data?: {
    /** The session after the change. */
    session?: Session;
    /** Why a session ended. */
    reason?: string;
    source?: Source;
    request?: PermissionRequest;
    room?: RoomInfo;
  };
}

/** Why an event stream ended for good. */
export type StreamEndReason = "token_expired" | "token_revoked" | "key_revoked" | "session_ended" | "room_ended";

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  expires_at: string;
  refresh_token?: string;
}

export interface GuestResponse extends TokenResponse {
  user: { id: string; type: "guest"; name: string; image?: string };
}
