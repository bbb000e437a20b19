// HealthProbe is the image's HEALTHCHECK: it asks the service on 127.0.0.1:$PORT (or on the port
// given after the path) for the path given as its argument, and exits 0 on any 2xx answer and 1
// otherwise. It speaks just enough HTTP/1.0 to do that with java.base alone, so the image needs no
// shell and no curl, and a minimal runtime (jlink) needs no module for it.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

public final class HealthProbe {
  private static final int TIMEOUT_MS = 2000;

  public static void main(String[] args) {
    if (args.length < 1 || args.length > 2 || !args[0].startsWith("/")) {
      System.err.println("usage: HealthProbe /path [port]");
      System.exit(2);
    }
    String port = args.length == 2 ? args[1] : System.getenv("PORT");
    try {
      String status = probe(Integer.parseInt(port), args[0]);
      // e.g. "HTTP/1.1 204 No Content": any 2xx is healthy.
      String[] fields = status == null ? new String[0] : status.split(" ");
      if (fields.length < 2 || !fields[0].startsWith("HTTP/") || !fields[1].matches("2\\d\\d")) {
        System.err.println("unhealthy: answered " + status);
        System.exit(1);
      }
    } catch (Exception e) {
      System.err.println("unhealthy: " + e);
      System.exit(1);
    }
  }

  private static String probe(int port, String path) throws Exception {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
      socket.setSoTimeout(TIMEOUT_MS);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET "
                  + path
                  + " HTTP/1.0\r\nHost: 127.0.0.1:"
                  + port
                  + "\r\nUser-Agent: healthprobe\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
          .readLine();
    }
  }
}
