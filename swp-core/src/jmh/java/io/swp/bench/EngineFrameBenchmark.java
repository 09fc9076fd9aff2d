package io.swp.bench;

import io.swp.SessionConfig;
import io.swp.protocol.Engine;
import io.swp.protocol.EngineState;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What one DATA frame costs end to end in the protocol core, without a network or
 * threads: the sender's write and encode, the receiver's decode, reassembly and read,
 * and the (delayed) acknowledgements going back. One operation is one frame; time is
 * virtual and advances one microsecond per frame.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EngineFrameBenchmark {

    @Param({"1024", "16384"})
    public int payloadBytes;

    private Engine sender;
    private Engine receiver;
    private byte[] chunk;
    private byte[] sink;
    private long now;

    @Setup(Level.Trial)
    public void connect() {
        SessionConfig config = SessionConfig.builder().maxPayloadBytes(payloadBytes).build();
        chunk = new byte[payloadBytes];
        sink = new byte[payloadBytes];
        now = 1_000_000;
        sender = Engine.connect(config.engineConfig(), "bench.a", "bench.b", 0x1111, now);
        byte[] syn = sender.pollTransmit(now);
        receiver = Engine.accept(config.engineConfig(), "bench.b", decode(syn), 0x2222, now);
        exchange();
        if (sender.state() != EngineState.ESTABLISHED) {
            throw new IllegalStateException("handshake failed: " + sender.state());
        }
    }

    @Benchmark
    public int oneFrame() {
        now += 1_000;
        sender.write(chunk, 0, chunk.length, false, now);
        exchange();
        return receiver.read(sink, 0, sink.length, now);
    }

    /** Delivers every pending frame both ways, as a lossless zero-latency link would. */
    private void exchange() {
        boolean moved = true;
        while (moved) {
            moved = false;
            for (byte[] f = sender.pollTransmit(now); f != null; f = sender.pollTransmit(now)) {
                receiver.handleFrame(f, now);
                moved = true;
            }
            for (byte[] f = receiver.pollTransmit(now); f != null; f = receiver.pollTransmit(now)) {
                sender.handleFrame(f, now);
                moved = true;
            }
            if (receiver.pollTimeout() <= now || sender.pollTimeout() <= now) {
                receiver.handleTimeout(now);
                sender.handleTimeout(now);
            }
        }
    }

    private static io.swp.protocol.Frame decode(byte[] frame) {
        try {
            return io.swp.protocol.FrameCodec.decode(frame);
        } catch (io.swp.protocol.MalformedFrameException e) {
            throw new IllegalStateException(e);
        }
    }
}
