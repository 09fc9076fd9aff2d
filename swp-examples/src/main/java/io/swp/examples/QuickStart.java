package io.swp.examples;

import io.swp.Endpoint;
import io.swp.Network;
import io.swp.Session;
import io.swp.sim.InMemoryNetwork;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The README's library quick start, kept here so it compiles and a test runs it.
 * Swap {@code InMemoryNetwork.create()} for {@code NatsNetwork.connect("nats://127.0.0.1:4222")}
 * to run the same code over a NATS server.
 */
public final class QuickStart {
    private QuickStart() {
    }

    /**
     * @param args unused
     * @throws Exception if the transfer fails
     */
    public static void main(String[] args) throws Exception {
        System.out.println(run());
    }

    /** @return what bob read */
    static String run() throws Exception {
        // README-BEGIN quickstart
        try (Network net = InMemoryNetwork.create();           // or NatsNetwork.connect("nats://127.0.0.1:4222")
             Endpoint bob = Endpoint.open(net, "bob");          // bob's inbox: the NATS subject "bob"
             Endpoint alice = Endpoint.open(net, "alice")) {

            Thread server = new Thread(() -> {
                try (Session s = bob.accept();                  // blocks until alice connects
                     InputStream in = s.getInputStream();
                     OutputStream out = s.getOutputStream()) {
                    in.transferTo(out);                          // echo until alice closes her side
                } catch (Exception e) {
                    e.printStackTrace();
                }
            });
            server.start();

            try (Session s = alice.connect("bob")) {             // SYN, SYN-ACK, ACK
                OutputStream out = s.getOutputStream();
                out.write("hello, bob".getBytes(StandardCharsets.UTF_8));
                out.close();                                     // half-close: FIN after the data
                String echoed = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                server.join();
                return echoed;                                   // "hello, bob"
            }
        }
        // README-END quickstart
    }
}
