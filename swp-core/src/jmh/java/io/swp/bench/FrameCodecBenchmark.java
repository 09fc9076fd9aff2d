package io.swp.bench;

import io.swp.protocol.MalformedFrameException;
import io.swp.protocol.Frame;
import io.swp.protocol.FrameCodec;
import io.swp.protocol.FrameKind;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Cost of encoding and decoding one DATA frame (CRC32C included) by payload size. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FrameCodecBenchmark {

    @Param({"0", "1024", "16384", "65536"})
    public int payloadBytes;

    private Frame packet;
    private byte[] frame;

    @Setup
    public void setUp() {
        byte[] payload = new byte[payloadBytes];
        new SplittableRandom(7).nextBytes(payload);
        packet = Frame.builder(FrameKind.DATA).from("swp.bench.a").to("swp.bench.b")
                .srcNonce(0x1234_5678_9abcL).dstNonce(0x0fed_cba9_8765L).seq(123_456).ack(98_765)
                .sackRanges(new long[] {98_770, 98_800, 98_900, 99_000})
                .window(1000, 16L << 20).tsVal(1_000_000_000L).tsEcr(999_000_000L)
                .payload(payload).build();
        frame = FrameCodec.encode(packet);
    }

    @Benchmark
    public byte[] encode() {
        return FrameCodec.encode(packet);
    }

    @Benchmark
    public Frame decode() throws MalformedFrameException {
        return FrameCodec.decode(frame);
    }

    /** The runtime's receive path: the packet shares the frame instead of copying its payload. */
    @Benchmark
    public Frame decodeOwned() throws MalformedFrameException {
        return FrameCodec.decodeOwned(frame);
    }
}
