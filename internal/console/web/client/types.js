/** The wire shapes of the HTTP API (api/openapi.json), as the client returns them. */
export {};
