// Builds and runs a real `stagedoor serve` from this checkout.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository root: clients/js/test/support is four levels down. */
export const repoRoot = resolve(import.meta.dirname, "../../../..");

export interface ApiKey {
  api_key: string;
  api_secret: string;
}

/** A data directory with an app, a production and a development key, and the custom roles the tests use. */
export interface Provisioned {
  dataDir: string;
  app: string;
  prod: ApiKey;
  dev: ApiKey;
}

/** Builds the stagedoor binary into a new temporary directory. */
export async function buildStagedoor(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stagedoor-js-bin-"));
  const bin = join(dir, "stagedoor");
  await run("go", ["build", "-o", bin, "./cmd/stagedoor"], { cwd: repoRoot });
  return bin;
}

/** Creates a data directory through the CLI, as an operator would. */
export async function provision(bin: string): Promise<Provisioned> {
  const dataDir = await mkdtemp(join(tmpdir(), "stagedoor-js-data-"));
  const cli = async (...args: string[]) => (await run(bin, [...args, "--data", dataDir])).stdout;
  const app = "js";
  await cli("app", "create", app, "--json");
  const prod = JSON.parse(await cli("key", "create", "--app", app, "--json")) as ApiKey;
  const dev = JSON.parse(await cli("key", "create", "--app", app, "--development", "--json")) as ApiKey;
  // A participant who may only ask to join, and watch once admitted.
  await cli("role", "set", "--app", app, "knocker", "--permission", "room.ask_join,consume", "--rank", "10");
  return { dataDir, app, prod, dev };
}

export interface RunningServer {
  url: string;
  addr: string;
  /** Stops the server gracefully (SIGTERM), as an operator's restart does. */
  stop(): Promise<void>;
}

/**
 * Starts `stagedoor serve` on addr (a free port by default) and resolves
 * with its address once it logs that it serves.
 */
export async function startServer(bin: string, dataDir: string, addr = "127.0.0.1:0"): Promise<RunningServer> {
  const proc = spawn(bin, ["serve", "--addr", addr, "--data", dataDir, "--log-level", "info"], { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<number | null>((res) => proc.once("exit", (code) => res(code)));
  const lines = createInterface({ input: proc.stderr! });
  const serving = await new Promise<string>((resolveAddr, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error("stagedoor serve did not start within 60s"));
    }, 60_000);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`stagedoor serve exited with ${code}`));
    });
    lines.on("line", (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; addr?: string };
        if (rec.msg === "serving" && rec.addr !== undefined) {
          clearTimeout(timer);
          resolveAddr(rec.addr);
        }
      } catch {
        // Not a log record.
      }
    });
  });
  return {
    url: `http://${serving}`,
    addr: serving,
    stop: () => stop(proc, exited),
  };
}

async function stop(proc: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
  await exited;
}
