// Starts the notes service on $PORT. It installs no SIGTERM handler: node then dies of the signal,
// which the image's init (tini) passes on to it.
import { createServer } from "node:http";

import { log } from "./log.js";
import { handler } from "./routes.js";

const port = Number(process.env.PORT || 3000);

createServer(handler()).listen(port, "0.0.0.0", () => {
  log.info("listening", { port, node: process.version });
});
