import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unique } from "./support/backend.js";
import { backend, connect } from "./support/clients.js";
import { until } from "./support/wait.js";

// Debian's chromium, never a downloaded browser.
const chromiumPath = "/usr/bin/chromium";
const pkg = fileURLToPath(new URL("..", import.meta.url));
const page = fileURLToPath(new URL("./fixtures/browser/index.html", import.meta.url));
const types: Record<string, string> = { ".js": "text/javascript", ".html": "text/html", ".map": "application/json" };

let app: Server;
let appUrl: string;
let browser: Browser;

/**
 * The app's own origin: its page, the built package, and its backend's
 * token endpoint, which mints with the API key on the server side.
 */
async function startApp(): Promise<void> {
  app = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://app");
    const answer = async () => {
      if (url.pathname === "/api/token") {
        const t = await backend.mint({ user_id: url.searchParams.get("user"), role: "knocker" });
        res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" });
        res.end(JSON.stringify({ access_token: t.access_token }));
        return;
      }
      if (url.pathname === "/favicon.ico") {
        res.writeHead(204).end();
        return;
      }
      const file = url.pathname === "/" ? page : join(pkg, normalize(url.pathname));
      if (!file.startsWith(pkg) || !url.pathname.match(/^\/(dist\/.*\.js)?$/)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "Content-Type": types[extname(file)] ?? "text/plain" });
      res.end(await readFile(file));
    };
    answer().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  const addr = app.address();
  if (addr === null || typeof addr === "string") throw new Error("no address");
  appUrl = `http://127.0.0.1:${addr.port}`;
}

beforeAll(async () => {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium`);
  if (!existsSync(join(pkg, "dist/index.js"))) throw new Error("dist/ is missing: npm run build");
  await startApp();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
});

interface Report {
  kind: "state" | "event" | "joined" | "error";
  state?: string;
  type?: string;
  session?: string;
  code?: string;
  detail?: string;
}

describe("in headless Chromium", () => {
  it("a page joins, is admitted, receives an event and disconnects", async () => {
    const name = await backend.room(unique("browser"));
    const host = (await connect(unique("hana"), "host")).room(name);
    const hostSession = await host.join();

    const reports: Report[] = [];
    const listeners = new Set<() => void>();
    const tab = await browser.newPage();
    const problems: string[] = [];
    tab.on("pageerror", (err) => problems.push(err.message));
    tab.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    await tab.exposeFunction("report", (r: Report) => {
      reports.push(r);
      for (const l of listeners) l();
    });
    const reported = (match: (r: Report) => boolean, what: string) =>
      until(
        (notify) => {
          listeners.add(notify);
          return () => listeners.delete(notify);
        },
        () => reports.find(match),
        what,
      );

    const user = unique("pia");
    const q = new URLSearchParams({ server: backend.url, room: name, user });
    await tab.goto(`${appUrl}/?${q}`);
    // The page is on another origin than the server: every call is cross-origin.
    expect(new URL(appUrl).origin).not.toBe(new URL(backend.url).origin);

    const waiting = await reported((r) => r.kind === "state" && r.state === "waiting", "the page to wait");
    const id = waiting.session!;
    await until(host.subscribe, () => (host.getSnapshot().waiting.some((s) => s.session_id === id) ? true : undefined), "the host to see the page wait");
    await host.admit(id);
    await reported((r) => r.kind === "joined" && r.session === id, "the page to be admitted");
    expect(await tab.textContent("#state")).toBe("joined");

    await host.produce("camera");
    await reported((r) => r.kind === "event" && r.type === "produce.started" && r.session === hostSession.session_id, "the page to see the host produce");

    expect(await tab.evaluate(() => (window as unknown as { disconnect(): Promise<string> }).disconnect())).toBe("left");
    const ended = await backend.waitForEvent(name, (e) => e.type === "session.ended" && e.session_id === id);
    expect(ended.data?.reason).toBe("left");
    expect(reports.filter((r) => r.kind === "error")).toEqual([]);
    expect(problems).toEqual([]);
    await tab.close();
  });
});
