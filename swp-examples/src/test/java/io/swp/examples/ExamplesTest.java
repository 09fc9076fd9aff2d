package io.swp.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Endpoint;
import io.swp.Session;
import io.swp.sim.InMemoryNetwork;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The example programs and the README's quick start, run over the in-process network. */
class ExamplesTest {

    @Test
    void quickStartEchoes() throws Exception {
        assertEquals("hello, bob", QuickStart.run());
    }

    @Test
    void readmeQuickStartIsTheCompiledOne() throws Exception {
        Path readme = Path.of("..", "README.md");
        Path source = Path.of("src", "main", "java", "io", "swp", "examples", "QuickStart.java");
        String code = between(Files.readString(source), "// README-BEGIN quickstart\n", "        // README-END quickstart");
        String doc = Files.readString(readme);
        assertTrue(doc.contains(code.stripTrailing().stripIndent().strip()),
                "README.md's quick start differs from QuickStart.java; copy the block between the markers");
    }

    @Test
    void echoServerAndClientOverStreams() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Endpoint server = Endpoint.open(net, "echo");
             Endpoint client = Endpoint.open(net, "me")) {
            Thread serving = new Thread(() -> EchoServer.serve(server));
            serving.setDaemon(true);
            serving.start();
            StringWriter out = new StringWriter();
            try (Session s = client.connect("echo")) {
                EchoClient.echoLines(s, new BufferedReader(new StringReader("one\ntwo\nthree\n")), out);
            }
            assertEquals("one\ntwo\nthree\n", out.toString());
        }
    }

    @Test
    void chatPrintsMessagesUntilThePeerLeaves() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Endpoint alice = Endpoint.open(net, "alice");
             Endpoint bob = Endpoint.open(net, "bob")) {
            Session toAlice = bob.connect("alice");
            Session fromBob = alice.accept(Duration.ofSeconds(10));
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            Thread printer = Chat.startPrinter(fromBob, new PrintStream(printed, true, StandardCharsets.UTF_8));
            toAlice.sendMessage("hi alice".getBytes(StandardCharsets.UTF_8));
            toAlice.sendMessage(new byte[0]);
            toAlice.sendMessage("bye".getBytes(StandardCharsets.UTF_8));
            toAlice.shutdownOutput();
            printer.join(10_000);
            assertEquals("bob> hi alice\nbob> \nbob> bye\n(bob left)\n",
                    printed.toString(StandardCharsets.UTF_8).replace("\r", ""));
            toAlice.close();
            fromBob.close();
        }
    }

    private static String between(String s, String begin, String end) {
        Matcher m = Pattern.compile(Pattern.quote(begin) + "(.*?)" + Pattern.quote(end), Pattern.DOTALL).matcher(s);
        assertTrue(m.find(), "markers not found");
        return m.group(1);
    }
}
