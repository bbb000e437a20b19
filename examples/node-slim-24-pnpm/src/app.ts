// The sample service: replace the routes with yours and keep what the image relies on: listen on $PORT,
// answer GET /healthz with a 2xx, stop on SIGTERM (src/server.ts).
import Fastify, {
  type FastifyInstance,
  type FastifyServerOptions,
} from "fastify";

export const SERVICE = "my-service";
export const HEALTH_PATH = "/healthz";
const DEFAULT_PORT = 8080;

// $PORT, or the port the project was generated with.
export function listenPort(env: NodeJS.ProcessEnv = process.env): number {
  return Number(env.PORT || DEFAULT_PORT);
}

export function buildApp(options: FastifyServerOptions = {}): FastifyInstance {
  const app = Fastify(options);
  app.get("/", async () => ({ service: SERVICE, message: "hello" }));
  // Answers 200 while the process serves requests; add checks of what the service cannot work without.
  app.get(HEALTH_PATH, async (_request, reply) =>
    reply.type("text/plain; charset=utf-8").send("ok"),
  );
  return app;
}
