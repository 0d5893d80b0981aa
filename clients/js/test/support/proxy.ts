// Fault injection in front of the real server: a TCP proxy that passes
// connections through, or answers them 503, or drops them, for as many
// connections as asked; and can cut every connection it carries.
import { connect, createServer, type Server, type Socket } from "node:net";

export type Fault = "unavailable" | "drop";

const unavailable = JSON.stringify({
  type: "https://stagedoor.dev/problems/unavailable",
  title: "Service Unavailable",
  status: 503,
  detail: "injected fault",
  code: "unavailable",
});

export class FaultProxy {
  /** Connections answered 503 and connections dropped so far. */
  unavailableServed = 0;
  dropped = 0;
  private faults: Fault[] = [];
  private readonly open = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<FaultProxy> {
    const { hostname, port } = new URL(target);
    let proxy: FaultProxy | undefined;
    const server = createServer((client) => proxy!.accept(client, hostname, Number(port)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const addr = server.address();
    if (addr === null || typeof addr === "string") throw new Error("no address");
    proxy = new FaultProxy(server, `http://127.0.0.1:${addr.port}`);
    return proxy;
  }

  /** The next n connections meet fault; connections after them pass. */
  fail(n: number, fault: Fault): void {
    for (let i = 0; i < n; i++) this.faults.push(fault);
  }

  /** Drops every connection open now, streams included. */
  cut(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, host: string, port: number): void {
    const fault = this.faults.shift();
    if (fault === "drop") {
      this.dropped++;
      client.destroy();
      return;
    }
    if (fault === "unavailable") {
      this.unavailableServed++;
      client.once("data", () => {
        client.end(
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 0\r\n" +
            `Connection: close\r\nContent-Length: ${Buffer.byteLength(unavailable)}\r\n\r\n${unavailable}`,
        );
      });
      client.on("error", () => client.destroy());
      return;
    }
    const upstream = connect(port, host);
    this.open.add(client);
    this.open.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.open.delete(client);
      this.open.delete(upstream);
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
