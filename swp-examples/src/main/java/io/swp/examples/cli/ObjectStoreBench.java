package io.swp.examples.cli;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.ObjectStore;
import io.nats.client.ObjectStoreManagement;
import io.nats.client.api.ObjectMeta;
import io.nats.client.api.ObjectStoreConfiguration;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The other way NATS users move files: JetStream Object Store. Measures one put of the
 * file followed by one get into another file, with the client's default chunk size.
 * Needs a server with JetStream enabled ({@code nats-server -js}).
 */
final class ObjectStoreBench {

    /**
     * @param putNanos time of the put
     * @param getNanos time of the get
     * @param size the file size
     * @param unavailable why it could not run, or null
     */
    record Result(long putNanos, long getNanos, long size, String unavailable) {
        double mbps() {
            return ByteSize.mbps(size, putNanos + getNanos);
        }
    }

    private ObjectStoreBench() {
    }

    @SuppressWarnings("try") // jnats' Connection.close() declares InterruptedException
    static Result run(String servers, Path file, Path scratchDir) throws Exception {
        long size = Files.size(file);
        try (Connection nc = Nats.connect(RawPubSubBench.options(servers))) {
            String bucket = "swpbench" + Long.toHexString(new SplittableRandom().nextLong() >>> 1);
            ObjectStoreManagement management;
            try {
                management = nc.objectStoreManagement();
                management.create(ObjectStoreConfiguration.builder(bucket)
                        .storageType(StorageType.File).build());
            } catch (JetStreamApiException | IOException e) {
                return new Result(0, 0, size,
                        "JetStream unavailable on this server (start nats-server with -js): " + e.getMessage());
            }
            Path copy = Files.createTempFile(scratchDir, "objstore-", ".get");
            try {
                ObjectStore store = nc.objectStore(bucket);
                long t0 = System.nanoTime();
                try (InputStream in = Files.newInputStream(file)) {
                    store.put(ObjectMeta.builder("file").build(), in);
                }
                long t1 = System.nanoTime();
                try (OutputStream out = Files.newOutputStream(copy)) {
                    store.get("file", out);
                }
                long t2 = System.nanoTime();
                if (Files.size(copy) != size) {
                    throw new IOException("object store returned " + Files.size(copy) + " bytes, expected " + size);
                }
                return new Result(t1 - t0, t2 - t1, size, null);
            } finally {
                Files.deleteIfExists(copy);
                management.delete(bucket);
            }
        }
    }
}
