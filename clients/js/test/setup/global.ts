import { rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { TestProject } from "vitest/node";
import { buildStagedoor, provision, startServer, type Provisioned } from "../support/stagedoor.js";

export interface StagedoorSetup extends Provisioned {
  /** The shared server every test file may use. */
  url: string;
  /** The binary, for test files that run servers of their own. */
  bin: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    stagedoor: StagedoorSetup;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bin = await buildStagedoor();
  const data = await provision(bin);
  const server = await startServer(bin, data.dataDir);
  project.provide("stagedoor", { ...data, url: server.url, bin });
  return async () => {
    await server.stop();
    await rm(data.dataDir, { recursive: true, force: true });
    await rm(dirname(bin), { recursive: true, force: true });
  };
}
