package io.swp.protocol;

import io.swp.SessionConfig;
import java.util.ArrayDeque;
import org.junit.jupiter.api.Test;

/**
 * What one frame costs in the engine and codec, without a network: two engines hand each
 * other's frames over directly (encode, decode, acknowledge, read), lossless, in one
 * thread, with a clock that advances a microsecond per round. Not part of the default
 * build (the name matches no Surefire pattern); run it with
 * {@code ./mvnw -q -o -pl swp-core test -Dtest=EngineBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 * and read target/surefire-reports/io.swp.protocol.EngineBenchmark-output.txt, or run
 * {@link #main}.
 */
class EngineBenchmark {
    private static final long BYTES = 256L << 20;
    private static final int[] PAYLOADS = {256, 1024, 16 * 1024};
    private static final int ROUNDS = 3;

    @Test
    void printFrameCost() {
        main(new String[0]);
    }

    public static void main(String[] args) {
        System.out.println("| payload | frames | ns/frame (both engines, codec included) | MB/s |");
        System.out.println("|---:|---:|---:|---:|");
        for (int payload : PAYLOADS) {
            double best = Double.MAX_VALUE;
            long frames = 0;
            for (int round = 0; round < ROUNDS; round++) {
                long start = System.nanoTime();
                frames = transfer(payload, BYTES / (payload >= 16 * 1024 ? 1 : 4));
                best = Math.min(best, (System.nanoTime() - start) / (double) frames);
            }
            System.out.printf("| %d | %d | %.0f | %.0f |%n", payload, frames, best, payload / best * 1e3);
        }
    }

    /** @return the DATA frames it took */
    private static long transfer(int payload, long bytes) {
        SessionConfig config = SessionConfig.builder().maxPayloadBytes(payload).build();
        long[] now = {1};
        Engine a = Engine.connect(config, "a", "b", 1, now[0]);
        ArrayDeque<byte[]> toB = new ArrayDeque<>();
        ArrayDeque<byte[]> toA = new ArrayDeque<>();
        byte[] f;
        while ((f = a.pollTransmit(now[0])) != null) {
            toB.add(f);
        }
        Engine b = Engine.accept(config, "b", decode(toB.poll()), 2, now[0]);
        byte[] chunk = new byte[256 * 1024];
        byte[] sink = new byte[256 * 1024];
        long written = 0;
        long read = 0;
        while (read < bytes) {
            now[0] += 1_000;
            if (written < bytes && a.state() == EngineState.ESTABLISHED) {
                written += a.write(chunk, 0, (int) Math.min(chunk.length, bytes - written), false, now[0]);
            }
            while ((f = a.pollTransmit(now[0])) != null) {
                toB.add(f);
            }
            while ((f = toB.poll()) != null) {
                b.handleFrame(f, now[0]);
            }
            int n;
            while ((n = b.read(sink, 0, sink.length, now[0])) > 0) {
                read += n;
            }
            b.handleTimeout(now[0]);
            while ((f = b.pollTransmit(now[0])) != null) {
                toA.add(f);
            }
            while ((f = toA.poll()) != null) {
                a.handleFrame(f, now[0]);
            }
            a.handleTimeout(now[0]);
        }
        return a.stats().dataFramesSent();
    }

    private static Packet decode(byte[] frame) {
        try {
            return PacketCodec.decode(frame);
        } catch (MalformedFrameException e) {
            throw new IllegalStateException(e);
        }
    }
}
