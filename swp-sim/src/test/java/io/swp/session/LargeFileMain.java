package io.swp.session;

import io.swp.file.FileTransfer;
import io.swp.Endpoint;
import io.swp.Session;
import io.swp.file.FileTransferStats;
import io.swp.file.ReceivedFile;
import io.swp.sim.InMemoryNetwork;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Run in a forked JVM with a small heap by {@link LargeFileTransferTest}: generates a file
 * of the given size, sends it between two endpoints in this JVM over an
 * {@link InMemoryNetwork}, and prints the figures. Exits 0 only if the received file was
 * verified and has the right size.
 *
 * <p>Arguments: size in bytes, working directory.
 */
public final class LargeFileMain {
    private static final int BLOCK = 1024 * 1024;

    private LargeFileMain() {
    }

    public static void main(String[] args) throws Exception {
        long size = Long.parseLong(args[0]);
        Path work = Path.of(args[1]);
        Path source = work.resolve("large.bin");
        Path outDir = Files.createDirectories(work.resolve("received"));
        generate(source, size);
        long start = System.nanoTime();
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Endpoint receiver = Endpoint.open(net, "large.receiver");
             Endpoint sender = Endpoint.open(net, "large.sender")) {
            CompletableFuture<ReceivedFile> received = CompletableFuture.supplyAsync(() -> {
                try (Session s = receiver.accept(Duration.ofSeconds(30))) {
                    return FileTransfer.receive(s, outDir);
                } catch (IOException e) {
                    throw new CompletionException(e);
                }
            });
            FileTransferStats sent;
            try (Session s = sender.connect("large.receiver")) {
                sent = FileTransfer.send(s, source);
            }
            ReceivedFile got = received.join();
            double secs = (System.nanoTime() - start) / 1e9;
            StringBuilder pools = new StringBuilder();
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    pools.append(String.format(Locale.ROOT, " %s %.1f MiB;", pool.getName(),
                            pool.getPeakUsage().getUsed() / (double) (1 << 20)));
                }
            }
            System.out.printf(Locale.ROOT, "sent %d bytes in %.1f s (%.1f MiB/s), max heap %d MiB, blake2b-256 %s,"
                            + " retransmits %d; peak use per heap pool:%s%n",
                    size, secs, size / secs / (1 << 20), Runtime.getRuntime().maxMemory() >> 20,
                    got.blake2b256(), sent.retransmits(), pools);
            boolean ok = got.size() == size && Files.size(got.path()) == size
                    && got.blake2b256().equals(sent.blake2b256());
            System.out.println("receiver " + receiver.stats() + "\nsender " + sender.stats());
            Files.delete(got.path());
            Files.delete(source);
            System.exit(ok ? 0 : 1);
        }
    }

    /** Pseudo-random blocks, each stamped with its index so no two are alike. */
    private static void generate(Path file, long size) throws IOException {
        byte[] block = new byte[BLOCK];
        new Harness.Generator(size).fill(block, 0, BLOCK);
        try (OutputStream out = Files.newOutputStream(file)) {
            long index = 0;
            for (long left = size; left > 0; left -= BLOCK, index++) {
                for (int i = 0; i < Long.BYTES; i++) {
                    block[i] = (byte) (index >>> (8 * i));
                }
                out.write(block, 0, (int) Math.min(BLOCK, left));
            }
        }
    }
}
