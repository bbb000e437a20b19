package com.acme.payroll;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.Properties;

/** Hourly rates by role, from rates.properties on the class path. */
final class Rates {
  private final Properties rates = new Properties();

  Rates() {
    try (InputStream in = Rates.class.getResourceAsStream("/rates.properties")) {
      if (in == null) {
        throw new IllegalStateException("rates.properties is not on the class path");
      }
      rates.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Optional<Integer> hourly(String role) {
    return Optional.ofNullable(rates.getProperty(role)).map(Integer::valueOf);
  }

  Optional<Integer> pay(String role, int hours) {
    return hourly(role).map(rate -> rate * hours);
  }
}
