// The routes: the liveness probe, and the notes, plain text files read from the public folder on every
// request (so an edited note is served without a restart), signed with the package's name and version.
import { readFile } from "node:fs/promises";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { join } from "node:path";

import { log } from "./log.js";

export interface Options {
  /** The folder of the notes, <name>.txt each. */
  publicDir: string;
  /** The package.json whose name and version sign every note. */
  packageJson: string | URL;
}

export const defaults: Options = {
  // Relative to the working directory: /app in the image, the project root under `pnpm test`.
  publicDir: "public",
  // Beside dist/, wherever the compiled code runs from.
  packageJson: new URL("../package.json", import.meta.url),
};

const NOTE = /^\/notes\/([a-z0-9][a-z0-9-]*)$/;

function send(response: ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8"): void {
  response.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  response.end(body);
}

async function signature(packageJson: string | URL): Promise<string> {
  const { name, version } = JSON.parse(await readFile(packageJson, "utf8")) as { name: string; version: string };
  return `${name} ${version}`;
}

async function route(options: Options, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { pathname } = new URL(request.url ?? "/", "http://localhost");
  if (request.method !== "GET" && request.method !== "HEAD") {
    return send(response, 405, "method not allowed\n");
  }
  if (pathname === "/health/live") {
    return send(response, 200, "ok\n");
  }
  const note = NOTE.exec(pathname);
  if (note) {
    let text: string;
    try {
      text = await readFile(join(options.publicDir, `${note[1]}.txt`), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        return send(response, 404, `no note ${note[1]}\n`);
      }
      throw error;
    }
    return send(response, 200, `${text.trimEnd()} (${await signature(options.packageJson)})\n`);
  }
  send(response, 404, "not found\n");
}

export function handler(options: Partial<Options> = {}): RequestListener {
  const settings = { ...defaults, ...options };
  return (request, response) => {
    const started = performance.now();
    response.on("finish", () =>
      log.info("request", {
        method: request.method,
        path: request.url,
        status: response.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
      }),
    );
    route(settings, request, response).catch((error: unknown) => {
      log.error("request failed", { path: request.url, error: String(error) });
      if (!response.headersSent) send(response, 500, "internal error\n");
      else response.destroy();
    });
  };
}
