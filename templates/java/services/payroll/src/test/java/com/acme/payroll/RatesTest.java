package com.acme.payroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class RatesTest {
  private final Rates rates = new Rates();

  @Test
  void payIsTheRateTimesTheHours() {
    assertEquals(Optional.of(3400), rates.pay("engineer", 40));
  }

  @Test
  void anUnknownRoleHasNoPay() {
    assertTrue(rates.pay("astronaut", 40).isEmpty());
  }
}
