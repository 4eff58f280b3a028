package io.flowguard.connectors.kafka;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.SharedKafka;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class BrokerCheckTest {

  @Test
  @Timeout(30)
  void anUnreachableBrokerFailsWithinTheTimeoutWithOneClearMessage() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // free once closed: nothing listens there
    }
    Properties p = new Properties();
    p.setProperty("bootstrap.servers", "127.0.0.1:" + port);
    long start = System.nanoTime();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> BrokerCheck.requireReachable(p, Duration.ofSeconds(3)));
    double seconds = (System.nanoTime() - start) / 1e9;
    assertTrue(e.getMessage().contains("not reachable at 127.0.0.1:" + port), e.getMessage());
    assertTrue(e.getMessage().contains("bootstrap.servers"), e.getMessage());
    assertTrue(seconds < 10, "gave up after " + seconds + " s");
  }

  @Test
  @Timeout(60)
  void aRunningBrokerPasses() {
    BrokerCheck.requireReachable(SharedKafka.get().clientProperties(), Duration.ofSeconds(15));
  }
}
