package io.swp.examples;

import io.swp.Endpoint;
import io.swp.Session;
import io.swp.nats.NatsNetwork;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * Echo client: sends each line of standard input and prints what comes back.
 * {@code java -cp swp-examples/target/swp.jar io.swp.examples.EchoClient nats://127.0.0.1:4222 me echo}
 */
public final class EchoClient {
    private EchoClient() {
    }

    /**
     * @param args NATS URL, our inbox, the server's inbox
     * @throws IOException if the session fails
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: EchoClient NATS_URL MY_INBOX SERVER_INBOX");
            System.exit(2);
        }
        try (NatsNetwork net = NatsNetwork.connect(args[0]);
             Endpoint endpoint = Endpoint.open(net, args[1]);
             Session session = endpoint.connect(args[2])) {
            BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            Writer stdout = new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8);
            echoLines(session, stdin, stdout);
        }
    }

    /**
     * Sends every line and copies each echoed line to {@code out}.
     *
     * @param session a session to an echo server
     * @param lines the lines to send
     * @param out where echoed lines go
     * @throws IOException if the session fails
     */
    static void echoLines(Session session, BufferedReader lines, Writer out) throws IOException {
        OutputStream toServer = session.getOutputStream();
        BufferedReader fromServer = new BufferedReader(
                new InputStreamReader(session.getInputStream(), StandardCharsets.UTF_8));
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            toServer.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            toServer.flush();
            String echoed = fromServer.readLine();
            if (echoed == null) {
                throw new IOException("the echo server closed the session");
            }
            out.write(echoed + "\n");
            out.flush();
        }
        toServer.close();
    }
}
