// Serves the app on $PORT, logging JSON lines to stdout, where the container runtime collects them.
import { buildApp, listenPort } from "./app.js";

const app = buildApp({ logger: true });

// Node installs no SIGTERM handler of its own: the server closes itself (in-flight requests finish,
// idle connections close), well within the runtime's stop timeout, then the process exits.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, "shutting down");
    setTimeout(() => process.exit(1), 1500).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error(error);
        process.exit(1);
      },
    );
  });
}

await app.listen({ host: "0.0.0.0", port: listenPort() });
