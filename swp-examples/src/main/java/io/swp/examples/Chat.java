package io.swp.examples;

import io.swp.Endpoint;
import io.swp.Session;
import io.swp.nats.NatsNetwork;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A two-person chat over swp messages (message boundaries kept, ordered, reliable).
 * One side waits: {@code Chat nats://127.0.0.1:4222 alice}; the other connects:
 * {@code Chat nats://127.0.0.1:4222 bob alice}. Type lines; end with Ctrl-D.
 */
public final class Chat {
    private Chat() {
    }

    /**
     * @param args NATS URL, our inbox, and optionally the peer's inbox to call
     * @throws IOException if the session fails
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: Chat NATS_URL MY_INBOX [PEER_INBOX]");
            System.exit(2);
        }
        try (NatsNetwork net = NatsNetwork.connect(args[0]);
             Endpoint endpoint = Endpoint.open(net, args[1])) {
            if (args.length == 2) {
                System.out.println("waiting for a peer on " + args[1] + " ...");
            }
            try (Session session = args.length == 3 ? endpoint.connect(args[2]) : endpoint.accept()) {
                System.out.println("chatting with " + session.remoteInbox());
                Thread printer = startPrinter(session, System.out);
                BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line = stdin.readLine(); line != null; line = stdin.readLine()) {
                    session.sendMessage(line.getBytes(StandardCharsets.UTF_8));
                }
                session.shutdownOutput();
                printer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Prints every message the peer sends until it finishes.
     *
     * @param session the chat session
     * @param out where messages are printed
     * @return the running printer thread
     */
    static Thread startPrinter(Session session, PrintStream out) {
        Thread t = new Thread(() -> {
            try {
                for (byte[] m = session.receiveMessage(); m != null; m = session.receiveMessage()) {
                    out.println(session.remoteInbox() + "> " + new String(m, StandardCharsets.UTF_8));
                }
                out.println("(" + session.remoteInbox() + " left)");
            } catch (IOException e) {
                out.println("(session ended: " + e.getMessage() + ")");
            }
        }, "chat-printer");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
