package com.example.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sample service, on the JDK's own HTTP server: what the image expects of any service is that
 * it listen on $PORT, answer GET /healthz with a 2xx, and stop on SIGTERM.
 */
public final class App {
  private static final Logger LOG = LoggerFactory.getLogger(App.class);
  static final String NAME = "my-service";
  static final String HEALTH_PATH = "/healthz";
  private static final int DEFAULT_PORT = 8080;

  /** How long a SIGTERM lets requests in flight finish, within `docker stop`'s grace period. */
  private static final int DRAIN_SECONDS = 1;

  private App() {}

  /** Starts the server on the port; port 0 picks a free one (the tests do). */
  public static HttpServer start(int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext(HEALTH_PATH, exchange -> respond(exchange, 200, "text/plain", "ok"));
    server.createContext("/", App::root);
    // A virtual thread a request: blocking handlers cost no platform thread.
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.start();
    return server;
  }

  static void root(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestURI().getPath().equals("/")) {
      respond(exchange, 404, "application/json", "{\"error\":\"not found\"}");
      return;
    }
    respond(
        exchange,
        200,
        "application/json",
        "{\"service\":\"" + Json.escape(NAME) + "\",\"message\":\"hello\"}");
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
    LOG.atInfo()
        .addKeyValue("method", exchange.getRequestMethod())
        .addKeyValue("path", exchange.getRequestURI().getPath())
        .addKeyValue("status", status)
        .log("request");
  }

  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", String.valueOf(DEFAULT_PORT)));
    HttpServer server = start(port);
    LOG.atInfo().addKeyValue("port", port).log("listening");
    // SIGTERM runs the shutdown hooks: stop taking connections, let requests in flight finish.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  LOG.info("shutting down");
                  server.stop(DRAIN_SECONDS);
                  LOG.info("stopped");
                }));
  }
}
