package com.example.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AppTest {
  private static HttpServer server;
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    server = App.start(0);
  }

  @AfterAll
  static void stop() {
    server.stop(0);
  }

  private static HttpResponse<String> get(String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    return CLIENT.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthPathAnswersOk() throws Exception {
    HttpResponse<String> response = get(App.HEALTH_PATH);
    assertEquals(200, response.statusCode());
    assertEquals("ok", response.body());
  }

  @Test
  void rootGreetsInJson() throws Exception {
    HttpResponse<String> response = get("/");
    assertEquals(200, response.statusCode());
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
    assertTrue(response.body().contains("\"message\":\"hello\""), response.body());
  }

  @Test
  void unknownPathIsNotFound() throws Exception {
    assertEquals(404, get("/nope").statusCode());
  }

  @Test
  void jsonEscapesQuotesBackslashesAndControls() {
    assertEquals("a\\\"b\\\\c\\u000a", Json.escape("a\"b\\c\n"));
  }
}
