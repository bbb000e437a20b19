package com.acme.payroll;

import com.google.gson.Gson;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.logging.Logger;

/** GET /pay/{role}: a week's pay for the role; GET /health/ready. No shutdown hook of its own. */
public final class PayrollServer {
  private static final Logger LOG = Logger.getLogger(PayrollServer.class.getName());
  private static final Gson GSON = new Gson();
  private static final int WEEK_HOURS = 40;

  private PayrollServer() {}

  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "9000"));
    Rates rates = new Rates();
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/health/ready", exchange -> send(exchange, 200, "{\"ready\":true}"));
    server.createContext("/pay/", exchange -> pay(exchange, rates));
    server.start();
    LOG.info("payroll listening on " + port);
  }

  private static void pay(HttpExchange exchange, Rates rates) throws IOException {
    String role = exchange.getRequestURI().getPath().substring("/pay/".length());
    var pay = rates.pay(role, WEEK_HOURS);
    if (pay.isEmpty()) {
      send(exchange, 404, GSON.toJson(Map.of("error", "no rate for " + role)));
      return;
    }
    send(exchange, 200, GSON.toJson(new Payslip(role, WEEK_HOURS, pay.get())));
  }

  record Payslip(String role, int hours, int pay) {}

  private static void send(HttpExchange exchange, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
