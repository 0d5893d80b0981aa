import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const pkg = fileURLToPath(new URL("..", import.meta.url));

describe("the published package", () => {
  it("holds only dist/, README.md, package.json and LICENSE", async () => {
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: pkg });
    const [packed] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
    const paths = packed!.files.map((f) => f.path);
    expect(paths.filter((p) => !p.startsWith("dist/")).sort()).toEqual(["LICENSE", "README.md", "package.json"]);
    expect(paths).toContain("dist/index.js");
    expect(paths).toContain("dist/index.d.ts");
    expect(paths).toContain("dist/react.js");
    expect(paths).toContain("dist/react.d.ts");
  });

  it("has no runtime dependency and React only as a peer", async () => {
    const manifest = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as Record<string, unknown>;
    expect(manifest["dependencies"]).toBeUndefined();
    expect(Object.keys(manifest["peerDependencies"] as object)).toEqual(["react"]);
    expect(manifest["license"]).toBe("Apache-2.0");
  });

  it("resolves both entry points by name in Node", async () => {
    const script = `
      const core = await import("@stagedoor/client");
      const react = await import("@stagedoor/client/react");
      console.log(JSON.stringify([typeof core.StagedoorClient, typeof core.AuthClient, core.BaseAuthClient === core.AuthClient, typeof react.useRoom]));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: pkg });
    expect(JSON.parse(stdout)).toEqual(["function", "function", true, "function"]);
  });
});
