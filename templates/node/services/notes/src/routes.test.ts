import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { handler } from "./routes.js";

const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as {
  name: string;
  version: string;
};

async function serve(options: Parameters<typeof handler>[0] = {}): Promise<{ server: Server; url: string }> {
  const server = createServer(handler(options));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("with the project's own public folder", () => {
  let app: Awaited<ReturnType<typeof serve>>;
  before(async () => (app = await serve()));
  after(() => app.server.close());

  test("/health/live answers 200", async () => {
    const response = await fetch(`${app.url}/health/live`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "ok\n");
  });

  test("the welcome note is signed with the package's name and version", async () => {
    const response = await fetch(`${app.url}/notes/welcome`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), `Welcome to Notes (${pkg.name} ${pkg.version})\n`);
  });

  test("an unknown note, or a name that leaves the folder, is not found", async () => {
    for (const path of ["/notes/nope", "/notes/..%2Fpackage", "/notes/../package.json", "/elsewhere"]) {
      assert.equal((await fetch(`${app.url}${path}`)).status, 404, path);
    }
  });

  test("only reads are allowed", async () => {
    assert.equal((await fetch(`${app.url}/notes/welcome`, { method: "POST" })).status, 405);
  });
});

describe("with a public folder of its own", () => {
  let folder: string;
  let app: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), "notes-"));
    app = await serve({ publicDir: folder });
  });
  after(async () => {
    app.server.close();
    await rm(folder, { recursive: true, force: true });
  });

  test("a note is read at request time", async () => {
    await writeFile(join(folder, "todo.txt"), "Buy milk\n");
    assert.equal(await (await fetch(`${app.url}/notes/todo`)).text(), `Buy milk (${pkg.name} ${pkg.version})\n`);
    await writeFile(join(folder, "todo.txt"), "Buy bread\n");
    assert.equal(await (await fetch(`${app.url}/notes/todo`)).text(), `Buy bread (${pkg.name} ${pkg.version})\n`);
  });
});
