package com.example.consumer;

import org.junit.jupiter.api.Test;

/** Runs the program as a user would: it throws unless the odd event scores as an anomaly. */
class ScoreOneEventTest {

  @Test
  void theProgramTrainsWritesReadsAndScores() throws Exception {
    ScoreOneEvent.main(new String[0]);
  }
}
