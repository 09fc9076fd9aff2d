package io.swp.examples;

import io.swp.Endpoint;
import io.swp.Session;
import io.swp.nats.NatsNetwork;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Echo server over swp streams: every session gets back what it sends, until it closes.
 * {@code java -cp swp-examples/target/swp.jar io.swp.examples.EchoServer nats://127.0.0.1:4222 echo}
 */
public final class EchoServer {
    private static final Logger LOG = LoggerFactory.getLogger(EchoServer.class);

    private EchoServer() {
    }

    /**
     * @param args NATS URL and the inbox to serve on
     * @throws IOException if the server cannot be reached
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: EchoServer NATS_URL INBOX");
            System.exit(2);
        }
        try (NatsNetwork net = NatsNetwork.connect(args[0]);
             Endpoint endpoint = Endpoint.open(net, args[1])) {
            System.out.println("echoing on " + args[1] + "; Ctrl-C to stop");
            serve(endpoint);
        }
    }

    /**
     * Accepts sessions until the endpoint closes, echoing each on its own thread.
     *
     * @param endpoint the endpoint to accept on
     */
    static void serve(Endpoint endpoint) {
        while (true) {
            Session session;
            try {
                session = endpoint.accept();
            } catch (IOException e) {
                LOG.debug("stopped accepting: {}", e.getMessage());
                return;
            }
            Thread t = new Thread(() -> echo(session), "echo-" + session.remoteInbox());
            t.setDaemon(true);
            t.start();
        }
    }

    private static void echo(Session session) {
        try (session; InputStream in = session.getInputStream(); OutputStream out = session.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            LOG.info("session with {} ended: {}", session.remoteInbox(), e.getMessage());
        }
    }
}
