// Unit tests of the sample service: the routes, and what the image relies on ($PORT, the health path).
import assert from "node:assert/strict";
import { test } from "node:test";

import { buildApp, HEALTH_PATH, listenPort, SERVICE } from "../src/app.js";

test("/ answers hello in JSON", async () => {
  const response = await buildApp().inject({ url: "/" });
  assert.equal(response.statusCode, 200, response.body);
  assert.deepEqual(response.json(), { service: SERVICE, message: "hello" });
});

test("the health path answers ok", async () => {
  const response = await buildApp().inject({ url: HEALTH_PATH });
  assert.equal(response.statusCode, 200, response.body);
});

test("an unknown path is not found", async () => {
  assert.equal((await buildApp().inject({ url: "/nope" })).statusCode, 404);
});

test("the port comes from the environment", () => {
  assert.equal(listenPort({ PORT: "9999" }), 9999);
});

test("the port defaults to the generated one", () => {
  assert.equal(listenPort({}), 8080);
});
